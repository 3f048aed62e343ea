"""Render a template to PDF with WeasyPrint and an embedded CJK font (Noto Sans CJK SC).

The font comes from the system (Debian `fonts-noto-cjk`); WeasyPrint embeds a subset of it, which
is fast only with HarfBuzz's subsetter (`libharfbuzz-subset0`).

Every document is laid out in the active language (callers render under
``translation.override`` for a document's chosen language): the page footer "第 N 页 / 共 M 页"
is translated, and a `title` becomes the PDF's Title metadata (what a viewer shows in its
title bar and tab, and what a search index lists), falling back to the HTML <title>.
"""

from functools import lru_cache

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext, gettext_noop

from core.exports import current_watermark, watermark_for

__all__ = ["html_to_pdf", "render_pdf", "watermark_for", "watermark_css", "footer_css_content"]

CJK_FONT_FAMILY = '"Noto Sans CJK SC", "Noto Sans SC", "Source Han Sans SC", sans-serif'

# The footer's text in the active language; the placeholders become CSS page counters.
PAGE_FOOTER = gettext_noop("第 %(page)s 页 / 共 %(pages)s 页")

BASE_CSS = f"""
@page {{ size: A4; margin: 16mm 14mm 18mm 14mm;
  @bottom-center {{ content: __FOOTER__;
                    font-size: 8pt; color: #555; font-family: {CJK_FONT_FAMILY}; }} }}
@page landscape {{ size: A4 landscape; }}
html {{ font-family: {CJK_FONT_FAMILY}; font-size: 10pt; color: #111; }}
h1 {{ font-size: 16pt; text-align: center; margin: 0 0 4mm; }}
h2 {{ font-size: 12pt; margin: 5mm 0 2mm; }}
h1, h2, h3, h4 {{ break-after: avoid; }}
table {{ width: 100%; border-collapse: collapse; }}
thead {{ display: table-header-group; }}
th, td {{ border: 0.5pt solid #444; padding: 1.2mm 1.5mm; text-align: left; }}
th {{ background: #eee; }}
.muted {{ color: #666; }}
"""


def _css_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def footer_css_content(template: str | None = None) -> str:
    """The CSS `content` value of the page footer in the active language, e.g.
    ``"第 " counter(page) " 页 / 共 " counter(pages) " 页"``."""
    text = template if template is not None else gettext(PAGE_FOOTER)
    out = []
    rest = text
    while rest:
        page_at = rest.find("%(page)s")
        pages_at = rest.find("%(pages)s")
        found = [(i, k) for i, k in ((page_at, "page"), (pages_at, "pages")) if i >= 0]
        if not found:
            out.append(_css_string(rest))
            break
        at, key = min(found)
        if at:
            out.append(_css_string(rest[:at]))
        out.append(f"counter({key})")
        rest = rest[at + len(f"%({key})s") :]
    return " ".join(out) or '""'


@lru_cache(maxsize=1)
def _font_config():
    from weasyprint.text.fonts import FontConfiguration

    return FontConfiguration()


@lru_cache(maxsize=8)
def _base_stylesheet_for(footer: str):
    from weasyprint import CSS

    return CSS(string=BASE_CSS.replace("__FOOTER__", footer), font_config=_font_config())


def _base_stylesheet():
    """The base stylesheet with the footer in the active language (parsed once per language)."""
    return _base_stylesheet_for(footer_css_content())


@lru_cache(maxsize=32)
def _extra_stylesheet(css: str):
    """A report's own stylesheet, parsed once per process (reports reuse a handful of them)."""
    from weasyprint import CSS

    return CSS(string=css, font_config=_font_config())


def watermark_css(text: str) -> str:
    """A visible mark in every page's top margin (right) with the given text."""
    content = _css_string(text)
    rule = f"@top-right {{ content: {content}; font-size: 7pt; color: #777; }}"
    return f"@page {{ {rule} }}\n@page landscape {{ {rule} }}"


def _watermark(watermark: str | bool) -> str:
    if watermark is True:
        return current_watermark()
    return str(watermark or "")


def html_to_pdf(
    html: str, *, extra_css: str = "", title: str | None = None, watermark: str | bool = True
) -> bytes:
    """Turn an HTML string into PDF bytes with Lectern's base stylesheet. `title` (else the
    HTML <title>) is the PDF's Title metadata; the document's language is the active one.

    Export control (issue 17 item 10): every PDF carries a visible watermark, who exported it
    and when, in every page's top margin (right) and in the PDF's keywords. By default
    (`watermark=True`) it names the file job's owner or the request's user
    (core.exports.current_watermark); a string is printed as given; False prints none."""
    from weasyprint import HTML

    watermark = _watermark(watermark)

    stylesheets = [_base_stylesheet()]
    if extra_css:
        stylesheets.append(_extra_stylesheet(extra_css))
    if watermark:
        stylesheets.append(_extra_stylesheet(watermark_css(watermark)))
    document = HTML(string=html, base_url=str(settings.BASE_DIR)).render(
        stylesheets=stylesheets, font_config=_font_config()
    )
    if title:
        document.metadata.title = str(title)
    if watermark:
        document.metadata.keywords = [str(watermark)]
    if not document.metadata.lang:
        document.metadata.lang = translation.get_language() or settings.LANGUAGE_CODE
    return document.write_pdf()


def render_pdf(
    template_name: str,
    context: dict | None = None,
    *,
    extra_css: str = "",
    title: str | None = None,
    watermark: str | bool = True,
) -> bytes:
    """Render a Django template to PDF bytes (`watermark`: see html_to_pdf)."""
    html = render_to_string(template_name, context or {})
    return html_to_pdf(html, extra_css=extra_css, title=title, watermark=watermark)
