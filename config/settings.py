"""Lectern settings. Everything that varies between machines comes from the environment.

LECTERN_ENV      development (default) | test | production
DATABASE_URL     unset → SQLite file (the zero-setup demo); postgres://… → PostgreSQL with a pool
REDIS_URL        unset → Celery runs tasks in-process and the cache is local memory
"""

from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP

from config.env import env_bool, env_choice, env_days, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent

LECTERN_ENV = env_choice("LECTERN_ENV", ("development", "test", "production"), "development")
PRODUCTION = LECTERN_ENV == "production"

DEBUG = env_bool("DEBUG", default=not PRODUCTION)
if PRODUCTION and DEBUG:
    raise ImproperlyConfigured("DEBUG must be off when LECTERN_ENV=production.")

SECRET_KEY = env_str("SECRET_KEY", required=PRODUCTION) or "dev-only-insecure-key-change-me"
if PRODUCTION and (len(SECRET_KEY) < 50 or SECRET_KEY.startswith("dev-only")):
    raise ImproperlyConfigured("SECRET_KEY must be a random string of at least 50 characters.")

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", [] if PRODUCTION else ["*"])
if PRODUCTION and not ALLOWED_HOSTS:
    raise ImproperlyConfigured("ALLOWED_HOSTS is required when LECTERN_ENV=production.")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])
# Absolute links (QR codes, e-mails, calendar URLs). Empty: links follow the address the user is
# using (core.links.absolute_url takes the scheme and host of the request).
SITE_URL = env_str("SITE_URL", "").rstrip("/")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_htmx",
    "axes",
    # second factor for administrative roles (accounts.otp): TOTP and recovery codes
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "core",
    "accounts",
    "plans",
    "programs",
    "enrollment",
    "attendance",
    "evaluation",
    "credits",
    "reports",
]
if not PRODUCTION:  # benchmarks and their seeder, the bench's bare view: never deployed
    INSTALLED_APPS.append("devtools")
# Our own apps, in the order data flows; seed_demo and the navigation walk them in this order.
LECTERN_APPS = [
    "core",
    "accounts",
    "plans",
    "programs",
    "enrollment",
    "attendance",
    "evaluation",
    "credits",
    "reports",
]

MIDDLEWARE = [
    # First: the real client address behind LECTERN_PROXY_COUNT proxies (REMOTE_ADDR carries it
    # from here on), then refuse oversized bodies before anything reads them.
    "core.clientip.ClientAddressMiddleware",
    "core.middleware_limits.RequestSizeLimitMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "core.middleware.LanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # idle/absolute session limits and the forced password change (accounts.middleware)
    "accounts.middleware.SessionPolicyMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.template.context_processors.csp",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "core.context_processors.lectern",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------
DATABASE_URL = env_str("DATABASE_URL")
if DATABASE_URL:
    if not DATABASE_URL.startswith(("postgres://", "postgresql://")):
        raise ImproperlyConfigured("DATABASE_URL must be a postgres:// URL (or unset for SQLite).")
    _db = dj_database_url.parse(DATABASE_URL, conn_max_age=0)
    _db["ENGINE"] = "django.db.backends.postgresql"
    # Either a psycopg pool (default; right for threads) or, with DB_POOL=0, one persistent
    # connection per process (DB_CONN_MAX_AGE seconds; right for single-threaded sync workers),
    # checked before reuse so a PostgreSQL restart is survived either way.
    _db["CONN_MAX_AGE"] = 0 if env_bool("DB_POOL", default=True) else env_int("DB_CONN_MAX_AGE", 0)
    _db["CONN_HEALTH_CHECKS"] = True
    if env_bool("DB_POOL", default=True):
        from psycopg_pool import ConnectionPool

        _db.setdefault("OPTIONS", {})["pool"] = {
            "min_size": env_int("DB_POOL_MIN", 1),
            "max_size": env_int("DB_POOL_MAX", 10),
            "timeout": env_int("DB_POOL_TIMEOUT", 10),
        }
        if env_bool("DB_POOL_CHECK", default=True):
            # A connection is tested as it leaves the pool, so a PostgreSQL restart costs no
            # failed requests once the server is back (broken connections are replaced).
            _db["OPTIONS"]["pool"]["check"] = ConnectionPool.check_connection
    # Server-side prepared statements, only for the statements that ask for one (core.db:
    # the check-in's hot statement); Django's own queries use client-side binding and never
    # prepare. Set DB_PREPARED_STATEMENTS=0 behind a pooler that cannot keep them (PgBouncer in
    # transaction mode before 1.21).
    if env_bool("DB_PREPARED_STATEMENTS", default=True):
        _db.setdefault("OPTIONS", {})["prepare_threshold"] = 2**31 - 1
        # ...and always executed with the plan made once: left to choose, PostgreSQL compared
        # the generic plan with plans made for each call's values and kept re-planning the
        # check-in on every call (0.3 ms of its CPU each). Only prepared statements use this.
        _generic = "-c plan_cache_mode=force_generic_plan"
        _db["OPTIONS"]["options"] = f"{_db['OPTIONS'].get('options', '')} {_generic}".strip()
    _db["TEST"] = {"NAME": env_str("TEST_DATABASE_NAME", None)}
    DATABASES = {"default": _db}
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": env_str("SQLITE_PATH", str(BASE_DIR / "db.sqlite3")),
            "OPTIONS": {"timeout": 20, "transaction_mode": "IMMEDIATE"},
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Redis: Celery broker, results and cache -------------------------------------------------
REDIS_URL = env_str("REDIS_URL")
if REDIS_URL and not REDIS_URL.startswith(("redis://", "rediss://")):
    raise ImproperlyConfigured("REDIS_URL must be a redis:// URL (or unset).")

if REDIS_URL:
    CELERY_BROKER_URL = REDIS_URL
    CELERY_RESULT_BACKEND = REDIS_URL
    CELERY_TASK_ALWAYS_EAGER = False
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "TIMEOUT": 300,
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
    }
else:
    CELERY_BROKER_URL = "memory://"
    CELERY_RESULT_BACKEND = "cache+memory://"
    CELERY_TASK_ALWAYS_EAGER = True
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TRACK_STARTED = True
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# A task whose worker died unacknowledged is handed to another worker after this many seconds.
# Publishing gives up fast when Redis is down (the web request must not hang); the worker keeps
# its own, patient reconnect loop (broker_connection_max_retries).
_VISIBILITY_TIMEOUT = env_int("CELERY_VISIBILITY_TIMEOUT", 3600)
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": _VISIBILITY_TIMEOUT,
    # How often a worker looks for such orphaned tasks. kombu's default scans only every tenth
    # 10-second tick (100 s); a scan is one sorted-set range query, so look on every tick, and
    # more often when the timeout is short.
    "unacked_restore_interval": max(1, min(10, _VISIBILITY_TIMEOUT // 3)),
    "unacked_restore_throttle": 1,
    "max_retries": 1,
    "interval_start": 0,
    "interval_step": 0.2,
    "interval_max": 0.2,
    "socket_connect_timeout": 1,
}
CELERY_RESULT_BACKEND_TRANSPORT_OPTIONS = {
    "retry_policy": {
        "max_retries": 1,
        "interval_start": 0,
        "interval_step": 0.2,
        "interval_max": 0.2,
    },
}
CELERY_BROKER_CONNECTION_TIMEOUT = 1
CELERY_REDIS_SOCKET_CONNECT_TIMEOUT = 1
CELERY_TIMEZONE = "Asia/Shanghai"
# Apps add their periodic jobs in <app>/schedule.py (BEAT_SCHEDULE dict); config/celery.py merges them.

# --- Auth ------------------------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
# Checked for new passwords only (change, reset, issue), never at sign-in: the demo accounts'
# lectern2026 still signs in. ≥ 8 characters, 3 of 4 character classes, not like the username,
# not one of the last LECTERN_PASSWORD_HISTORY (accounts.passwords).
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 8},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    {"NAME": "accounts.passwords.CharacterClassesValidator", "OPTIONS": {"min_classes": 3}},
    {"NAME": "accounts.passwords.PasswordHistoryValidator"},
]
LECTERN_PASSWORD_HISTORY = env_int("LECTERN_PASSWORD_HISTORY", 5)
# Business admin and the three administrators (三员) must change their password this often.
LECTERN_ADMIN_PASSWORD_MAX_AGE_DAYS = env_int("LECTERN_ADMIN_PASSWORD_MAX_AGE_DAYS", 90)
# A reset link works once (Django's token changes with the password) and for this long.
PASSWORD_RESET_TIMEOUT = env_int("PASSWORD_RESET_TIMEOUT", 3600)
# Session limits (accounts.sessions). Idle: administrators (business admin and the three) 15
# minutes, other staff 30. A trainee's phone keeps its session 7 days idle (and at most 7 days
# in all) so that a check-in stays a single scan: the check-in QR is only valid in its session's
# window, and a trainee account reads and changes nothing but its own records.
LECTERN_SESSION_IDLE_MINUTES = env_int("LECTERN_SESSION_IDLE_MINUTES", 30)
LECTERN_SESSION_IDLE_MINUTES_ADMIN = env_int("LECTERN_SESSION_IDLE_MINUTES_ADMIN", 15)
LECTERN_SESSION_IDLE_MINUTES_TRAINEE = env_int("LECTERN_SESSION_IDLE_MINUTES_TRAINEE", 7 * 24 * 60)
LECTERN_SESSION_ABSOLUTE_HOURS = env_int("LECTERN_SESSION_ABSOLUTE_HOURS", 12)
LECTERN_SESSION_ABSOLUTE_HOURS_TRAINEE = env_int("LECTERN_SESSION_ABSOLUTE_HOURS_TRAINEE", 7 * 24)
# The cookie outlives the longest limit; the server ends sessions earlier by the rules above.
SESSION_COOKIE_AGE = (
    max(LECTERN_SESSION_ABSOLUTE_HOURS, LECTERN_SESSION_ABSOLUTE_HOURS_TRAINEE) * 3600
)
# Second factor (TOTP, recovery codes; accounts.otp). Required for the business admin, the three
# administrators and organizers whose unit lies at depth <= LECTERN_OTP_ORGANIZER_MAX_DEPTH
# (0 province, 1 city, 2 county; -1: no organizer). On by default in production only, so the
# demo and the tests sign in with a password alone; LECTERN_OTP_ENFORCED=1 turns it on anywhere.
LECTERN_OTP_ENFORCED = env_bool("LECTERN_OTP_ENFORCED", default=PRODUCTION)
LECTERN_OTP_ORGANIZER_MAX_DEPTH = env_int("LECTERN_OTP_ORGANIZER_MAX_DEPTH", 1)
OTP_TOTP_ISSUER = env_str("OTP_TOTP_ISSUER", "Lectern")
# Lock out a (username, IP) pair, never a bare IP: a venue's hall shares one NAT address.
# 等保: at most 5 consecutive failures, then at least 15 minutes (each lockout is audited and
# listed for the security administrator: accounts.signals, accounts:security_lockouts).
AXES_FAILURE_LIMIT = min(env_int("AXES_FAILURE_LIMIT", 5), 5)
AXES_COOLOFF_TIME = 0.25  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_ENABLED = env_bool("AXES_ENABLED", default=True)
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
# How many reverse proxies stand in front of Django, each appending to X-Forwarded-For. 0 (the
# default) never trusts X-Forwarded-For; N uses the N-th entry from the right (core.clientip).
# AXES_PROXY_COUNT is the older name, still read.
LECTERN_PROXY_COUNT = env_int("LECTERN_PROXY_COUNT", env_int("AXES_PROXY_COUNT", 0))
if LECTERN_PROXY_COUNT < 0:
    raise ImproperlyConfigured("LECTERN_PROXY_COUNT must be 0 or more.")
AXES_CLIENT_IP_CALLABLE = "core.clientip.client_ip"
# Many failed logins across many accounts from one address: after this many failures in the
# window (seconds), that address may try once per GAP seconds (never a lockout of a whole hall).
LECTERN_LOGIN_IP_FAILURES = env_int("LECTERN_LOGIN_IP_FAILURES", 30)
LECTERN_LOGIN_IP_WINDOW = env_int("LECTERN_LOGIN_IP_WINDOW", 600)
LECTERN_LOGIN_IP_GAP = env_int("LECTERN_LOGIN_IP_GAP", 5)
# Personal data at rest (core.crypto): ID and phone numbers are stored as Fernet tokens under
# LECTERN_PII_KEYS (comma-separated, newest first; `manage.py pii_rotate_key` re-encrypts with the
# newest), looked up through an HMAC blind index under LECTERN_PII_INDEX_KEY (a separate secret,
# 32+ characters). Required in production (system check lectern.E901); outside production a fixed
# development key is used when they are not set.
LECTERN_PII_KEYS = env_list("LECTERN_PII_KEYS", [])
LECTERN_PII_INDEX_KEY = env_str("LECTERN_PII_INDEX_KEY", "")

# --- Internationalisation ---------------------------------------------------------------------
# Source strings are written in Simplified Chinese (the default UI); English lives in the
# <app>/locale/en catalogues, so a missing translation degrades to Chinese, never to gibberish.
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

# --- Static and media ------------------------------------------------------------------------
STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = BASE_DIR / "staticfiles"
STATIC_ROOT.mkdir(exist_ok=True)  # whitenoise warns on every request without it
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(BASE_DIR / "media")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
# Request and upload limits (README "Deployment" lists what the reverse proxy should set).
# The global upload ceiling: core.uploads.check_upload never accepts a larger file. The old
# name LECTERN_MAX_UPLOAD_BYTES is kept as an alias for code and deployments that use it.
LECTERN_UPLOAD_MAX_BYTES = env_int(
    "LECTERN_UPLOAD_MAX_BYTES", env_int("LECTERN_MAX_UPLOAD_BYTES", 10 * 1024 * 1024)
)
LECTERN_MAX_UPLOAD_BYTES = LECTERN_UPLOAD_MAX_BYTES
# A whole request body larger than this is answered 413 before it is read
# (core.middleware_limits): one upload plus room for the form around it.
LECTERN_REQUEST_MAX_BYTES = env_int(
    "LECTERN_REQUEST_MAX_BYTES", LECTERN_UPLOAD_MAX_BYTES + 1024 * 1024
)
# Form fields other than files (Django refuses more with a 400); uploads above
# FILE_UPLOAD_MAX_MEMORY_SIZE are streamed to a temporary file instead of memory.
DATA_UPLOAD_MAX_MEMORY_SIZE = env_int("DATA_UPLOAD_MAX_MEMORY_SIZE", 2_621_440)
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
DATA_UPLOAD_MAX_NUMBER_FILES = 20
# File jobs that stop reporting are failed by a beat sweep (core.jobs.file_jobs_fail_stale).
LECTERN_FILE_JOB_STALE_MINUTES = env_int("LECTERN_FILE_JOB_STALE_MINUTES", 30)
LECTERN_FILE_JOB_PENDING_STALE_MINUTES = env_int("LECTERN_FILE_JOB_PENDING_STALE_MINUTES", 360)

# --- Export control and retention (issue 17 items 7, 10, 11) -----------------------------------
# A personal-data export of more than this many rows needs a reason, asked in the page and
# audited (core.services.export_check, core.exports.start_export).
LECTERN_EXPORT_REASON_ROWS = env_int("LECTERN_EXPORT_REASON_ROWS", 500)
# On: such an export also waits for a second approver of the organization department (off by
# default; core.services.generated_file_approve).
LECTERN_EXPORT_SECOND_APPROVER = env_bool("LECTERN_EXPORT_SECOND_APPROVER", default=False)
# A finished export's download link works this long; the cleanup job then deletes the file.
LECTERN_EXPORT_LINK_HOURS = env_int("LECTERN_EXPORT_LINK_HOURS", 24)
# Audit entries stay online this long (never below 180), then the archive job moves them.
LECTERN_AUDIT_RETENTION_DAYS = env_int("LECTERN_AUDIT_RETENTION_DAYS", 180)
# Retention per kind of data, overriding core.retention.DEFAULT_DAYS:
# LECTERN_RETENTION_DAYS="leave_attachments=365,roster_import_batches=90,notifications=keep"
LECTERN_RETENTION_DAYS = env_days("LECTERN_RETENTION_DAYS")
# The backup job writes {"finished_at": ISO time, "ok": true, "what": "..."} here when it ends;
# the system administrator's backup page shows it (overdue after 26 hours).
LECTERN_BACKUP_STATUS_FILE = env_str("LECTERN_BACKUP_STATUS_FILE", "")

# --- E-mail ------------------------------------------------------------------------------------
_MAIL_BACKEND = env_str(
    "MAIL_BACKEND",
    "django.core.mail.backends.console.EmailBackend"
    if LECTERN_ENV == "development"
    else "django.core.mail.backends.smtp.EmailBackend",
)
_MAIL_OPTIONS = (
    {"host": env_str("MAIL_HOST", "localhost"), "port": env_int("MAIL_PORT", 25)}
    if _MAIL_BACKEND.endswith("smtp.EmailBackend")
    else {}
)
MAILERS = {"default": {"BACKEND": _MAIL_BACKEND, "OPTIONS": _MAIL_OPTIONS}}
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "lectern@localhost")

# --- Security ----------------------------------------------------------------------------------
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "connect-src": [CSP.SELF],
    "font-src": [CSP.SELF],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.SELF],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
}
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SESSION_COOKIE_HTTPONLY = True
if PRODUCTION:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", default=True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31_536_000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SILENCED_SYSTEM_CHECKS: list[str] = []

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}

if LECTERN_ENV == "test":
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    MAILERS = {"default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}}
