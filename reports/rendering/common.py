"""What every document shares: content types, text in the document's language, and the
header-row height of a workbook whose labels wrap."""

from django.utils.translation import get_language

from core.tabular import CSV_CONTENT_TYPE, XLSX_CONTENT_TYPE

XLSX_TYPE = XLSX_CONTENT_TYPE
PDF_TYPE = "application/pdf"
CSV_TYPE = CSV_CONTENT_TYPE
ZIP_TYPE = "application/zip"


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
