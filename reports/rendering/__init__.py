"""Turn report data into files: PDF (WeasyPrint), Excel and CSV (core.tabular).

One module per document, each with every format of it, used by the Celery tasks, the views and
`manage.py attendance_report` alike, so the paths cannot drift apart:

- ``signin``: a session's sign-in sheet (签到表), PDF and Excel;
- ``summary``: a program's attendance summary (考勤汇总表), PDF and Excel;
- ``statistics``: the statistics page as Excel;
- ``attendance_csv``: every attendance record of a program as CSV;
- ``archive``: a finished program's class archive (一期一档), one zip of the documents above
  and of enrollment's and evaluation's;
- ``common``: content types, text in the document's language, workbook header heights.

The large PDF tables are laid out one line per row by core.pdfgrid (public WeasyPrint API only).

Documents are made in the active language: callers render under translation.override for the
language the document was asked in (reports.services.export_build).
"""

from reports.rendering.archive import archive_ready, archive_zip
from reports.rendering.attendance_csv import CSV_HEADER, attendance_csv_lines
from reports.rendering.common import CSV_TYPE, PDF_TYPE, XLSX_TYPE, ZIP_TYPE
from reports.rendering.signin import (
    SIGNIN_COLUMNS,
    _signin_layout,
    signin_html,
    signin_pdf,
    signin_title,
    signin_xlsx,
)
from reports.rendering.statistics import statistics_title, statistics_xlsx
from reports.rendering.summary import (
    _summary_css,
    _summary_layout,
    summary_html,
    summary_pdf,
    summary_title,
    summary_xlsx,
)

__all__ = [
    "CSV_HEADER",
    "CSV_TYPE",
    "PDF_TYPE",
    "SIGNIN_COLUMNS",
    "XLSX_TYPE",
    "_signin_layout",
    "_summary_css",
    "_summary_layout",
    "ZIP_TYPE",
    "archive_ready",
    "archive_zip",
    "attendance_csv_lines",
    "signin_html",
    "signin_pdf",
    "signin_title",
    "signin_xlsx",
    "statistics_title",
    "statistics_xlsx",
    "summary_html",
    "summary_pdf",
    "summary_title",
    "summary_xlsx",
]
