# Lectern image: one image for web (gunicorn), worker and beat.
FROM python:3.13-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy \
    UV_PROJECT_ENVIRONMENT=/opt/venv \
    PATH="/opt/venv/bin:$PATH" \
    DJANGO_SETTINGS_MODULE=config.settings

# WeasyPrint needs Pango; the CJK font is embedded in every PDF; libharfbuzz-subset0 makes font
# subsetting take milliseconds instead of seconds (DESIGN.md §1). gettext compiles translations.
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
      libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-noto-cjk gettext curl \
 && rm -rf /var/lib/apt/lists/*

RUN pip install --no-cache-dir uv

WORKDIR /app
COPY pyproject.toml uv.lock .python-version ./
RUN uv sync --frozen --no-dev --no-install-project

COPY . .
RUN LECTERN_ENV=development python manage.py compilemessages --ignore=.venv \
 && LECTERN_ENV=production SECRET_KEY=build-only-placeholder-secret-key-not-used-at-runtime-0123456789 \
    ALLOWED_HOSTS=build python manage.py collectstatic --noinput

RUN useradd --create-home --uid 1000 lectern && mkdir -p /app/media && chown -R lectern /app/media
USER lectern

EXPOSE 8000
CMD ["gunicorn", "config.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "4", \
     "--access-logfile", "-", "--timeout", "60"]
