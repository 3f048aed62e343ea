"""Merge PDF parts rendered separately and number their pages "第 N 页 / 共 M 页" across all parts.

Large reports are laid out in chunks in parallel (WeasyPrint's layout is single-threaded and
dominates big documents); the chunks are rendered without page numbers and numbered here. The
numbers are drawn with a subset of Noto Sans CJK SC taken from a tiny WeasyPrint render of the
footer's characters, so the footer looks exactly like the one `core.pdf` draws and stays
extractable by pdftotext. Stamping is pure object manipulation: milliseconds per page.
"""

import io
import re
import string
from functools import lru_cache

from django.utils.translation import gettext
from pypdf import PdfReader, PdfWriter
from pypdf.generic import (
    ArrayObject,
    DecodedStreamObject,
    DictionaryObject,
    NameObject,
)

# The footer's glyphs in every language it is written in (Chinese, and the Latin letters of a
# translation such as "Page 3 of 12").
FOOTER_CHARS = "第页共/0123456789 " + string.ascii_letters + ".,:-()"
FONT_SIZE = 8.0
FOOTER_Y_MM = 8.0  # baseline height above the page bottom, inside the 18 mm bottom margin
MM = 72 / 25.4
FONT_NAME = "/FLecternPageNo"


@lru_cache(maxsize=1)
def _template_pdf() -> bytes:
    from core.pdf import html_to_pdf

    return html_to_pdf(
        f"<p>{FOOTER_CHARS}</p>", extra_css="@page { @bottom-center { content: none; } }"
    )


def _parse_cmap(data: bytes) -> dict[str, int]:
    text = data.decode("latin-1")
    mapping: dict[str, int] = {}
    for block in re.findall(r"beginbfchar(.*?)endbfchar", text, re.S):
        for cid, uni in re.findall(r"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>", block):
            mapping[bytes.fromhex(uni).decode("utf-16-be")] = int(cid, 16)
    for block in re.findall(r"beginbfrange(.*?)endbfrange", text, re.S):
        for lo, hi, uni in re.findall(
            r"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>", block
        ):
            start = int(uni, 16)
            for offset, cid in enumerate(range(int(lo, 16), int(hi, 16) + 1)):
                mapping[chr(start + offset)] = cid
    return mapping


def _widths(descendant) -> tuple[dict[int, float], float]:
    default = float(descendant.get("/DW", 1000))
    widths: dict[int, float] = {}
    w = descendant.get("/W")
    if w is None:
        return widths, default
    items = list(w.get_object())
    i = 0
    while i < len(items):
        first = int(items[i])
        nxt = items[i + 1].get_object() if hasattr(items[i + 1], "get_object") else items[i + 1]
        if isinstance(nxt, list | ArrayObject):
            for k, value in enumerate(nxt):
                widths[first + k] = float(value)
            i += 2
        else:
            last, value = int(nxt), float(items[i + 2])
            for cid in range(first, last + 1):
                widths[cid] = value
            i += 3
    return widths, default


class _FooterFont:
    """The CJK font subset of the template, with its character → glyph code map and widths."""

    def __init__(self):
        reader = PdfReader(io.BytesIO(_template_pdf()))
        fonts = reader.pages[0]["/Resources"]["/Font"]
        self.font = None
        for ref in fonts.values():
            font = ref.get_object()
            if "/ToUnicode" not in font:
                continue
            cmap = _parse_cmap(font["/ToUnicode"].get_object().get_data())
            if all(c in cmap for c in FOOTER_CHARS.replace(" ", "")):
                self.font, self.cmap = font, cmap
                desc = font["/DescendantFonts"][0].get_object()
                self.widths, self.default_width = _widths(desc)
                break
        if self.font is None:  # pragma: no cover - only with a broken font setup
            raise RuntimeError("CJK footer font not found in the template PDF")

    def encode(self, text: str) -> tuple[str, float]:
        codes, width = [], 0.0
        for ch in text:
            cid = self.cmap.get(ch)
            if cid is None:
                continue
            codes.append(f"{cid:04X}")
            width += self.widths.get(cid, self.default_width)
        return "".join(codes), width * FONT_SIZE / 1000


def footer_text(n: int, total: int) -> str:
    """The footer in the active language (the same msgid core.pdf's footer uses)."""
    return gettext("第 %(page)s 页 / 共 %(pages)s 页") % {"page": n, "pages": total}


def merge_with_page_numbers(parts: list[bytes], *, title: str | None = None) -> bytes:
    """Concatenate PDF parts and draw "第 N 页 / 共 M 页" (in the active language) at the
    bottom centre of every page; `title` (else the first part's) is the Title metadata."""
    writer = PdfWriter()
    first_title = None
    for part in parts:
        reader = PdfReader(io.BytesIO(part))
        if first_title is None and reader.metadata is not None:
            first_title = reader.metadata.title
        writer.append(reader)
    if title or first_title:
        writer.add_metadata({"/Title": str(title or first_title)})
    footer = _FooterFont()
    font_ref = writer._add_object(footer.font.clone(writer))
    total = len(writer.pages)
    for index, page in enumerate(writer.pages, start=1):
        hexcodes, width = footer.encode(footer_text(index, total))
        box = page.mediabox
        x = float(box.left) + (float(box.width) - width) / 2
        y = float(box.bottom) + FOOTER_Y_MM * MM
        stream = DecodedStreamObject()
        stream.set_data(
            (
                f"q 0.333 0.333 0.333 rg BT {FONT_NAME} {FONT_SIZE} Tf "
                f"1 0 0 1 {x:.2f} {y:.2f} Tm <{hexcodes}> Tj ET Q"
            ).encode()
        )
        resources = page.get("/Resources")
        resources = resources.get_object() if resources is not None else DictionaryObject()
        fonts = resources.get("/Font")
        fonts = fonts.get_object() if fonts is not None else DictionaryObject()
        fonts[NameObject(FONT_NAME)] = font_ref
        resources[NameObject("/Font")] = fonts
        page[NameObject("/Resources")] = resources
        contents = page.get("/Contents")
        # The page's own content may leave a flipped transform behind: isolate it in q … Q.
        opening = DecodedStreamObject()
        opening.set_data(b"q\n")
        closing = DecodedStreamObject()
        closing.set_data(b"\nQ\n")
        array = ArrayObject([writer._add_object(opening)])
        if contents is not None:
            contents = contents.get_object()
            if isinstance(contents, ArrayObject):
                array.extend(contents)
            else:
                array.append(page["/Contents"])
        array.append(writer._add_object(closing))
        array.append(writer._add_object(stream))
        page[NameObject("/Contents")] = array
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()
