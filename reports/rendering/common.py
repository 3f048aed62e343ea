"""What every document shares: content types, text in the document's language, and the
header-row height of a workbook whose labels wrap."""

import math

from django.utils.translation import get_language

from core.tabular import CSV_CONTENT_TYPE, XLSX_CONTENT_TYPE

XLSX_TYPE = XLSX_CONTENT_TYPE
PDF_TYPE = "application/pdf"
CSV_TYPE = CSV_CONTENT_TYPE


def _chinese() -> bool:
    return (get_language() or "zh-hans").startswith("zh")


def _label(label: str, value) -> str:
    """ "标签:值" in Chinese, "Label: value" in another language."""
    return f"{label}:{value}" if _chinese() else f"{label}: {value}"


def _joined(values) -> str:
    return ("、" if _chinese() else ", ").join(str(v) for v in values if v) or "—"


def _hm(value) -> str:
    return value.strftime("%H:%M") if value else ""


def _pct(value) -> str:
    return "" if value is None else f"{value}%"


# --- Header row height -------------------------------------------------------------------------
#
# Excel and LibreOffice do not grow a row to fit wrapped text on opening a file: a header whose
# labels wrap (session number, date and topic in a narrow column) needs its height written
# down. core.tabular has no option for it yet, so the height is set on the finished file.

LINE_PT = 15


def _text_units(text: str) -> int:
    """Width in Excel character units (a CJK character is two)."""
    return sum(2 if ord(ch) > 0x2E80 else 1 for ch in text)


def header_height(columns) -> float:
    """Points needed by the tallest wrapped header label of these columns."""
    lines = 1
    for col in columns:
        width = max(1.0, col.width - 1)
        n = sum(
            max(1, math.ceil(_text_units(part) / width)) for part in str(col.header).split("\n")
        )
        lines = max(lines, n)
    return lines * LINE_PT + 3


def _row_tag(match, row: int, height: float) -> bytes:
    """A <row> start tag of the given height, other attributes kept (ht/customHeight replaced)."""
    import re

    rest = re.sub(rb'\s(?:ht|customHeight)="[^"]*"', b"", match.group(1) or b"")
    return b'<row r="%d"%s ht="%.1f" customHeight="1"%s>' % (row, rest, height, match.group(2))


def header_rows_fitted(content: bytes, rows: dict[int, tuple[int, float]]) -> bytes:
    """The workbook with row `r` of sheet `n` (1-based) `height` points tall."""
    import io
    import re
    import zipfile

    source = zipfile.ZipFile(io.BytesIO(content))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            data = source.read(info.filename)
            for sheet, (row, height) in rows.items():
                if info.filename == f"xl/worksheets/sheet{sheet}.xml":
                    data = re.sub(
                        rb'<row r="%d"(\s[^>]*?)?(/?)>' % row,
                        lambda m, row=row, height=height: _row_tag(m, row, height),
                        data,
                        count=1,
                    )
            target.writestr(info, data)
    return out.getvalue()
