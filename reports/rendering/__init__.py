"""Turn report data into files: PDF (WeasyPrint), Excel and CSV (core.tabular).

One module per document, each with every format of it, used by the Celery tasks, the views and
`manage.py attendance_report` alike, so the paths cannot drift apart:

- ``signin``: a session's sign-in sheet (签到表), PDF and Excel;
- ``summary``: a program's attendance summary (考勤汇总表), PDF in parallel chunks and Excel;
- ``record``: a person's training record (个人培训档案), PDF and Excel;
- ``statistics``: the statistics page as Excel;
- ``attendance_csv``: every attendance record of a program as CSV;
- ``layout``: the one-line-per-row table engine the two large PDFs share;
- ``common``: content types, text in the document's language, workbook header heights.

Documents are made in the active language: callers render under translation.override for the
language the document was asked in (reports.services.export_build).
"""

from reports.pdfmerge import merge_with_page_numbers
from reports.rendering.attendance_csv import CSV_HEADER, attendance_csv_lines
from reports.rendering.common import CSV_TYPE, PDF_TYPE, XLSX_TYPE
from reports.rendering.layout import Grid, _advances, _tab_scale
from reports.rendering.record import record_title, trainee_record_pdf, trainee_record_xlsx
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
    CHUNK_ROWS,
    _summary_css,
    _summary_layout,
    render_chunk,
    summary_bare_html,
    summary_chunk_html,
    summary_chunk_pdf,
    summary_html_parts,
    summary_pdf,
    summary_plan,
    summary_title,
    summary_xlsx,
)

__all__ = [
    "CHUNK_ROWS",
    "CSV_HEADER",
    "CSV_TYPE",
    "PDF_TYPE",
    "SIGNIN_COLUMNS",
    "XLSX_TYPE",
    "Grid",
    "_advances",
    "_signin_layout",
    "_summary_css",
    "_summary_layout",
    "_tab_scale",
    "attendance_csv_lines",
    "merge_with_page_numbers",
    "record_title",
    "render_chunk",
    "signin_html",
    "signin_pdf",
    "signin_title",
    "signin_xlsx",
    "statistics_title",
    "statistics_xlsx",
    "summary_bare_html",
    "summary_chunk_html",
    "summary_chunk_pdf",
    "summary_html_parts",
    "summary_pdf",
    "summary_plan",
    "summary_title",
    "summary_xlsx",
    "trainee_record_pdf",
    "trainee_record_xlsx",
]
