"""Render a template to PDF with WeasyPrint and an embedded CJK font (Noto Sans CJK SC).

The font comes from the system (Debian `fonts-noto-cjk`); WeasyPrint embeds a subset of it, which
is fast only with HarfBuzz's subsetter (`libharfbuzz-subset0`).
"""

from functools import lru_cache

from django.conf import settings
from django.template.loader import render_to_string

CJK_FONT_FAMILY = '"Noto Sans CJK SC", "Noto Sans SC", "Source Han Sans SC", sans-serif'

BASE_CSS = f"""
@page {{ size: A4; margin: 16mm 14mm 18mm 14mm;
  @bottom-center {{ content: "第 " counter(page) " 页 / 共 " counter(pages) " 页";
                    font-size: 8pt; color: #555; font-family: {CJK_FONT_FAMILY}; }} }}
@page landscape {{ size: A4 landscape; }}
html {{ font-family: {CJK_FONT_FAMILY}; font-size: 10pt; color: #111; }}
h1 {{ font-size: 16pt; text-align: center; margin: 0 0 4mm; }}
h2 {{ font-size: 12pt; margin: 5mm 0 2mm; }}
table {{ width: 100%; border-collapse: collapse; }}
thead {{ display: table-header-group; }}
th, td {{ border: 0.5pt solid #444; padding: 1.2mm 1.5mm; text-align: left; }}
th {{ background: #eee; }}
.muted {{ color: #666; }}
"""


@lru_cache(maxsize=1)
def _font_config():
    from weasyprint.text.fonts import FontConfiguration

    return FontConfiguration()


@lru_cache(maxsize=1)
def _base_stylesheet():
    from weasyprint import CSS

    return CSS(string=BASE_CSS, font_config=_font_config())


@lru_cache(maxsize=32)
def _extra_stylesheet(css: str):
    """A report's own stylesheet, parsed once per process (reports reuse a handful of them)."""
    from weasyprint import CSS

    return CSS(string=css, font_config=_font_config())


def html_to_pdf(html: str, *, extra_css: str = "") -> bytes:
    """Turn an HTML string into PDF bytes with Lectern's base stylesheet."""
    from weasyprint import HTML

    stylesheets = [_base_stylesheet()]
    if extra_css:
        stylesheets.append(_extra_stylesheet(extra_css))
    document = HTML(string=html, base_url=str(settings.BASE_DIR))
    return document.write_pdf(stylesheets=stylesheets, font_config=_font_config())


def render_pdf(template_name: str, context: dict | None = None, *, extra_css: str = "") -> bytes:
    """Render a Django template to PDF bytes."""
    html = render_to_string(template_name, context or {})
    return html_to_pdf(html, extra_css=extra_css)
