"""The one tabular exporter: Excel workbooks and CSV streams that are safe to open and print.

Every Excel or CSV file Lectern produces goes through here, so two rules hold everywhere:

* **No formula injection** (OWASP "CSV Injection"): user text that begins with ``=``, ``+``,
  ``-``, ``@``, a tab or a carriage return would be run as a formula by Excel, WPS or
  LibreOffice (``=HYPERLINK(...)``, DDE). :func:`safe_cell` gives such text a leading apostrophe
  so it is shown as text; numbers, dates and booleans stay what they are. CSV cells are also
  always quoted, so a ``;`` or ``,`` inside a value cannot start a new cell in a locale that
  splits on it.
* **Printable as a person would lay it out**: A4, fitted to one page wide, the header row
  repeated on every printed page, the header frozen on screen, column widths, optional title
  lines (program, session, date, venue) above the header, document title metadata.

Usage::

    from core.tabular import Column, Sheet, xlsx_bytes, csv_chunks

    cols = [Column(_("姓名"), width=10), Column(_("单位"), width=28, wrap=True)]
    data = xlsx_bytes([Sheet(_("签到表"), cols, rows, title_lines=[program.title])], title=...)
    response = StreamingHttpResponse(csv_chunks([c.header for c in cols], rows), ...)
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.utils import timezone
from django.utils.translation import gettext as _

__all__ = [
    "FORMULA_PREFIXES",
    "XLSX_CONTENT_TYPE",
    "CSV_CONTENT_TYPE",
    "Column",
    "Sheet",
    "safe_cell",
    "xlsx_bytes",
    "csv_chunks",
]

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_CONTENT_TYPE = "text/csv; charset=utf-8"

# What makes a spreadsheet treat a text cell as a formula (OWASP CSV Injection).
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")

# Characters an xlsx file may not contain (XML 1.0); openpyxl refuses them with an exception.
_ILLEGAL_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")

_PASS_THROUGH = (bool, int, float, Decimal, date, time, timedelta)


def safe_cell(value):
    """The value as it may be written to a spreadsheet cell.

    None stays None (an empty cell); numbers, dates, times and booleans are returned unchanged
    (aware datetimes become local wall-clock time, as Excel has no time zones); anything else
    becomes text, and text beginning with ``= + - @``, a tab or a carriage return gets a
    leading apostrophe so no spreadsheet runs it as a formula."""
    if value is None:
        return None
    if isinstance(value, datetime):
        if timezone.is_aware(value):
            value = timezone.localtime(value).replace(tzinfo=None)
        return value
    if isinstance(value, _PASS_THROUGH):
        return value
    text = str(value)  # lazy translations, model instances, UUIDs...
    if text.startswith(FORMULA_PREFIXES):
        return "'" + text
    return text


@dataclass(frozen=True)
class Column:
    """One column: its header, its width in characters, whether long text wraps, and a number
    format (e.g. ``"0.0"``, ``"yyyy-mm-dd hh:mm"``; dates and datetimes get one by default)."""

    header: str
    width: float = 12
    wrap: bool = False
    number_format: str | None = None


@dataclass
class Sheet:
    """One worksheet. ``rows`` is any iterable of sequences (it is consumed once, streaming).
    ``title_lines`` are printed above the header (the first one bold and larger)."""

    name: str
    columns: Sequence[Column]
    rows: Iterable[Sequence]
    title_lines: Sequence[str] = ()
    landscape: bool = False
    freeze_header: bool = True
    # The header row's height in points (None: the default). Excel and LibreOffice do not grow
    # a row to fit wrapped text when they open a file, so a header whose labels wrap passes
    # header_height=fitted_header_height(columns).
    header_height: float | None = None


LINE_PT = 15  # one line of 11-point text


def _text_units(text: str) -> int:
    """Width in Excel character units (a CJK or full-width character counts two)."""
    return sum(2 if ord(ch) > 0x2E80 else 1 for ch in text)


def fitted_header_height(columns: Sequence[Column]) -> float:
    """Points the header row needs so every label, wrapped to its column, shows whole."""
    lines = 1
    for col in columns:
        width = max(1.0, float(col.width) - 1)
        n = sum(max(1, -(-_text_units(part) // int(width))) for part in str(col.header).split("\n"))
        lines = max(lines, n)
    return lines * LINE_PT + 3


_SHEET_NAME_FORBIDDEN = re.compile(r"[\\/*?:\[\]]")


def _sheet_name(name, used: set[str]) -> str:
    base = _SHEET_NAME_FORBIDDEN.sub(" ", str(name or "Sheet")).strip("' ") or "Sheet"
    base = base[:31]
    candidate, n = base, 2
    while candidate.lower() in used:
        suffix = f" ({n})"
        candidate = base[: 31 - len(suffix)] + suffix
        n += 1
    used.add(candidate.lower())
    return candidate


def _xlsx_value(value):
    value = safe_cell(value)
    if isinstance(value, str):
        value = _ILLEGAL_XML.sub("", value)
    return value


def xlsx_bytes(
    sheets: Iterable[Sheet], *, title="", subject="", creator="", watermark: str | bool = True
) -> bytes:
    """A workbook (write-only, so memory stays flat for long sheets) of the given sheets, each
    laid out for A4 printing: fitted to one page wide, header row repeated on every page,
    header frozen, column widths; every cell through :func:`safe_cell`.

    Export control (issue 17 item 10): a note of who exported and when goes into the
    workbook's description and keywords properties: by default (`watermark=True`) the file
    job's owner or the request's user (core.exports.current_watermark); a string is written as
    given; False writes none."""
    from core.exports import current_watermark

    if watermark is True:
        watermark = current_watermark()
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.properties import PageSetupProperties

    wb = Workbook(write_only=True)
    wb.properties.title = str(title or "")
    wb.properties.subject = str(subject or "")
    wb.properties.creator = str(creator or "Lectern")
    if watermark:
        wb.properties.description = str(watermark)
        wb.properties.keywords = str(watermark)

    header_font = Font(bold=True)
    header_fill = PatternFill("solid", fgColor="EEEEEE")
    header_align = Alignment(wrap_text=True, vertical="center", horizontal="center")
    title_font = Font(bold=True, size=14)
    subtitle_font = Font(size=11)
    wrap_align = Alignment(wrap_text=True, vertical="top")

    used_names: set[str] = set()
    made_any = False
    for sheet in sheets:
        made_any = True
        ws = wb.create_sheet(title=_sheet_name(sheet.name, used_names))
        columns = list(sheet.columns)

        # Page set-up: A4, one page wide, as many pages tall as needed.
        ws.page_setup.paperSize = "9"  # A4
        ws.page_setup.orientation = "landscape" if sheet.landscape else "portrait"
        ws.page_setup.fitToWidth = 1
        ws.page_setup.fitToHeight = 0
        ws.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
        ws.page_margins.left = ws.page_margins.right = 0.5
        ws.page_margins.top = ws.page_margins.bottom = 0.6
        ws.print_options.gridLines = True
        ws.print_options.horizontalCentered = True
        ws.oddFooter.center.text = "&P / &N"

        for i, col in enumerate(columns, start=1):
            ws.column_dimensions[get_column_letter(i)].width = col.width

        # Everything about the sheet is set before its first row: a write-only sheet writes
        # its properties (views, panes) when the first row arrives.
        title_lines = [str(t) for t in sheet.title_lines if t not in (None, "")]
        header_row = len(title_lines) + (1 if title_lines else 0) + 1
        if columns:
            ws.print_title_rows = f"{header_row}:{header_row}"
        if sheet.freeze_header:
            ws.freeze_panes = f"A{header_row + 1}"
        if columns and sheet.header_height:
            ws.row_dimensions[header_row].height = sheet.header_height

        for n, line in enumerate(title_lines):
            cell = WriteOnlyCell(ws, value=_xlsx_value(line))
            cell.font = title_font if n == 0 else subtitle_font
            ws.append([cell])
        if title_lines:
            ws.append([])  # one empty row between the titles and the table

        header = []
        for col in columns:
            cell = WriteOnlyCell(ws, value=_xlsx_value(col.header))
            cell.font, cell.fill, cell.alignment = header_font, header_fill, header_align
            header.append(cell)
        ws.append(header)

        styled = [bool(c.wrap or c.number_format) for c in columns]
        for row in sheet.rows:
            out = []
            for i, value in enumerate(row):
                value = _xlsx_value(value)
                col = columns[i] if i < len(columns) else None
                fmt = col.number_format if col else None
                if fmt is None and isinstance(value, (date, datetime)):
                    fmt = "yyyy-mm-dd hh:mm" if isinstance(value, datetime) else "yyyy-mm-dd"
                if col is not None and (styled[i] or fmt):
                    cell = WriteOnlyCell(ws, value=value)
                    if col.wrap:
                        cell.alignment = wrap_align
                    if fmt:
                        cell.number_format = fmt
                    out.append(cell)
                else:
                    out.append(value)
            ws.append(out)
    if not made_any:
        wb.create_sheet(title="Sheet")

    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


class _Line:
    """A write()-able that keeps only the last line written (csv.writer writes one per row)."""

    value = ""

    def write(self, text):
        self.value = text


def _csv_text(value) -> str:
    value = safe_cell(value)
    if value is None:
        return ""
    if isinstance(value, bool):
        return _("是") if value else _("否")
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def csv_chunks(header: Sequence, rows: Iterable[Sequence]) -> Iterator[str]:
    """A CSV file as an iterator of strings (for StreamingHttpResponse): a UTF-8 byte-order mark
    first (so Excel opens Chinese text correctly), then the header and one line per row, every
    cell through :func:`safe_cell` and quoted."""
    line = _Line()
    writer = csv.writer(line, quoting=csv.QUOTE_ALL, lineterminator="\r\n")
    yield "\ufeff"
    writer.writerow([_csv_text(h) for h in header])
    yield line.value
    for row in rows:
        writer.writerow([_csv_text(v) for v in row])
        yield line.value
