"""Turn report data into files: PDF (WeasyPrint), Excel (openpyxl) and CSV.

Every output has one builder here, used by the Celery tasks, the views and
`manage.py attendance_report` alike, so the three paths cannot drift apart.

The attendance summary is the one large document. WeasyPrint lays it out single-threaded, and
layout cost grows with the number of boxes, so (DESIGN.md §1, §6):
- the ten-odd status marks of a trainee are one table cell of full-width characters spaced to
  sit under their session columns (one box instead of ten);
- the document is cut into per-unit chunks of about CHUNK_ROWS trainees, rendered in parallel
  (a Celery chord, or a process pool in the command path) without page numbers, merged with pypdf
  and numbered "第 N 页 / 共 M 页" across all chunks (reports.pdfmerge).
"""

import csv
import io
import os
from concurrent.futures import ProcessPoolExecutor
from datetime import datetime

from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.functional import Promise

from core.pdf import html_to_pdf
from reports import selectors
from reports.pdfmerge import merge_with_page_numbers

CHUNK_ROWS = 200
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PDF_TYPE = "application/pdf"
CSV_TYPE = "text/csv; charset=utf-8"

SIGNIN_CSS = """
h1 { font-size: 15pt; line-height: 1.35; }
table.meta { margin-bottom: 4mm; }
table.meta th { width: 18mm; background: #f3f3f3; }
table.sheet { table-layout: fixed; font-size: 9.5pt; }
table.sheet th, table.sheet td { padding: 1mm 1.2mm; height: 7.5mm; }
table.sheet tr.repeat th { background: #fff; border: none; font-weight: normal; font-size: 8pt;
  color: #555; text-align: right; height: auto; padding: 0 0 1mm; }
th.n, td.n { width: 10mm; text-align: center; }
th.name, td.name { width: 22mm; }
th.pos, td.pos { width: 34mm; overflow: hidden; white-space: nowrap; }
th.t, td.t { width: 17mm; text-align: center; }
th.st, td.st { width: 18mm; text-align: center; }
tr.unit td { background: #f6f6f6; font-weight: bold; }
tbody tr { break-inside: avoid; }
p.foot { margin-top: 3mm; font-size: 8pt; }
"""

RECORD_CSS = """
h3 { font-size: 11pt; margin: 4mm 0 1mm; }
table { font-size: 9pt; margin-bottom: 2mm; }
table.meta th { width: 18mm; background: #f3f3f3; }
"""

NO_PAGE_NUMBERS_CSS = "@page { @bottom-center { content: none; } }"


def _summary_css(n_sessions: int) -> str:
    # A4 landscape is 297 mm; 277 mm inside the margins, 70 mm of it for the fixed columns.
    # Cells are the cost of layout: no position column, no clipping (names are short).
    slot = max(4.0, min(14.0, 205.0 / max(n_sessions, 1)))
    mark_pt = min(8.0, (slot - 1.0) * 72 / 25.4)
    em_mm = mark_pt * 25.4 / 72
    spacing = slot - em_mm
    return f"""
@page {{ size: A4 landscape; margin: 12mm 10mm 16mm 10mm; }}
h1 {{ font-size: 14pt; margin-bottom: 1mm; }}
p.center {{ text-align: center; margin: 0 0 2mm; }}
p.legend {{ font-size: 8pt; margin: 1mm 0 2mm; }}
table.overview {{ font-size: 8.5pt; margin-bottom: 1mm; }}
table.overview th {{ background: #f3f3f3; }}
table.grid {{ table-layout: fixed; font-size: 8pt; width: auto; }}
table.grid th, table.grid td {{ padding: .5mm .8mm; white-space: nowrap; }}
table.grid th {{ font-size: 6.5pt; text-align: center; font-weight: normal; }}
th.n, td.n {{ width: 9mm; text-align: center; }}
th.name, td.name {{ width: 20mm; }}
th.s {{ width: {slot - 1.6:.2f}mm; }}
table.grid td.m {{ font-size: {mark_pt:.2f}pt; letter-spacing: {spacing:.2f}mm;
        padding-left: {spacing / 2 + 0.8:.2f}mm; padding-right: 0;
        font-variant-east-asian: full-width; }}
th.r, td.r {{ width: 12mm; text-align: right; }}
th.c, td.c {{ width: 8mm; text-align: center; }}
tr.unit td {{ background: #f1f1f1; font-weight: bold; font-size: 7.5pt; }}
table.sessions {{ font-size: 8pt; width: auto; }}
"""


# --- Sign-in sheet -----------------------------------------------------------------------------


def signin_pdf(*, session) -> bytes:
    data = selectors.signin_sheet_data(session=session)
    html = render_to_string("reports/pdf/signin.html", {**data, "generated": timezone.localtime()})
    return html_to_pdf(html, extra_css=SIGNIN_CSS)


def signin_xlsx(*, session) -> bytes:
    data = selectors.signin_sheet_data(session=session)
    rows = []
    for group in data["groups"]:
        for r in group["rows"]:
            rows.append(
                [
                    r["n"],
                    group["name"],
                    r["name"],
                    r["position"],
                    _naive(r["checkin"]),
                    _naive(r["checkout"]),
                    r["status"],
                    "",
                ]
            )
    return xlsx_book(
        [
            Sheet(
                title="签到表",
                header=["序号", "单位", "姓名", "职务", "签到时间", "签退时间", "状态", "本人签名"],
                rows=rows,
                widths=[6, 24, 12, 20, 18, 18, 10, 16],
            )
        ]
    )


# --- Attendance summary ------------------------------------------------------------------------


def _with_local_start(sessions):
    for s in sessions:
        s.local_start = timezone.localtime(s.start)
    return sessions


def summary_chunk_html(
    *, program, sessions, unit_ids, index: int, count: int, offset: int, overview=None
) -> str:
    """HTML of one chunk of the summary (the first carries the title and overview)."""
    groups = selectors.summary_rows(program=program, sessions=sessions, unit_ids=unit_ids)
    n = offset
    for group in groups:
        for row in group["rows"]:
            n += 1
            row["n"] = n
    if index == 0 and overview is None:
        overview = selectors.summary_overview(program=program, sessions=sessions)
    return render_to_string(
        "reports/pdf/summary.html",
        {
            "program": program,
            "sessions": _with_local_start(sessions),
            "groups": groups,
            "first": index == 0,
            "last": index == count - 1,
            "overview": overview,
        },
    )


def summary_plan(*, program, max_rows: int | None = None) -> list[dict]:
    """The chunks of a program's summary: unit ids and the row number each chunk starts after."""
    max_rows = max_rows or CHUNK_ROWS
    counts = {unit_id: n for unit_id, _name, n in selectors.unit_groups_of_program(program=program)}
    plan, offset = [], 0
    for unit_ids in selectors.summary_chunks(program=program, max_rows=max_rows):
        plan.append({"unit_ids": unit_ids, "offset": offset})
        offset += sum(counts.get(u, 0) for u in unit_ids)
    return plan


def summary_chunk_pdf(*, program, sessions, plan, index: int) -> bytes:
    chunk = plan[index]
    html = summary_chunk_html(
        program=program,
        sessions=sessions,
        unit_ids=chunk["unit_ids"],
        index=index,
        count=len(plan),
        offset=chunk["offset"],
    )
    return render_chunk(html, len(sessions))


def render_chunk(html: str, n_sessions: int) -> bytes:
    """Lay out one chunk without page numbers (they are stamped after merging)."""
    return html_to_pdf(html, extra_css=_summary_css(n_sessions) + NO_PAGE_NUMBERS_CSS)


def _render_chunk_star(args) -> bytes:
    return render_chunk(*args)


def summary_html_parts(*, program, sessions=None, max_rows: int | None = None) -> list[str]:
    sessions = sessions if sessions is not None else selectors.program_sessions(program=program)
    plan = summary_plan(program=program, max_rows=max_rows)
    return [
        summary_chunk_html(
            program=program,
            sessions=sessions,
            unit_ids=c["unit_ids"],
            index=i,
            count=len(plan),
            offset=c["offset"],
        )
        for i, c in enumerate(plan)
    ]


def summary_pdf(
    *, program, workers: int | None = None, max_rows: int | None = None, progress=None
) -> bytes:
    """The whole summary PDF in this process: chunks laid out by a pool of worker processes.

    The HTML is built here (the pool never touches the database, so forking is safe); only
    WeasyPrint runs in the children.
    """
    sessions = selectors.program_sessions(program=program)
    parts_html = summary_html_parts(program=program, sessions=sessions, max_rows=max_rows)
    if progress:
        progress(20)
    workers = workers or min(len(parts_html), os.cpu_count() or 1)
    if len(parts_html) == 1 or workers <= 1:
        pdfs = []
        for i, html in enumerate(parts_html):
            pdfs.append(render_chunk(html, len(sessions)))
            if progress:
                progress(20 + int(70 * (i + 1) / len(parts_html)))
    else:
        import multiprocessing

        from django.db import connections

        connections.close_all()
        ctx = multiprocessing.get_context("fork")
        with ProcessPoolExecutor(max_workers=workers, mp_context=ctx) as pool:
            pdfs = []
            for i, pdf in enumerate(
                pool.map(_render_chunk_star, [(h, len(sessions)) for h in parts_html])
            ):
                pdfs.append(pdf)
                if progress:
                    progress(20 + int(70 * (i + 1) / len(parts_html)))
    return merge_with_page_numbers(pdfs)


def summary_bare_html(*, program, max_rows: int | None = None) -> str:
    """The same content as one HTML document (for the side-by-side benchmark)."""
    parts = summary_html_parts(program=program, max_rows=max_rows)
    if len(parts) == 1:
        return parts[0]
    bodies = [p.split("<body>", 1)[1].rsplit("</body>", 1)[0] for p in parts]
    head = parts[0].split("<body>", 1)[0]
    return f"{head}<body>{''.join(bodies)}</body></html>"


def summary_xlsx(*, program) -> bytes:
    sessions = selectors.program_sessions(program=program)
    groups = selectors.summary_rows(program=program, sessions=sessions)
    labels = dict(selectors.AttendanceStatus.choices)
    header = ["序号", "单位", "姓名", "职务"]
    header += [
        f"{i}. {timezone.localtime(s.start):%m-%d %H:%M} {s.topic}"
        for i, s in enumerate(sessions, start=1)
    ]
    header += ["出勤次数", "应出勤", "出勤率(%)", "请假", "旷课", "迟到"]
    rows, unit_rows, n = [], [], 0
    for group in groups:
        for r in group["rows"]:
            n += 1
            rows.append(
                [n, group["name"], r["name"], r["position"]]
                + [str(labels.get(st, "")) for st in r["statuses"]]
                + [r["attended"], r["expected"], r["rate"], r["leave"], r["absent"], r["late"]]
            )
        t = group["totals"]
        unit_rows.append(
            [
                group["name"],
                len(group["rows"]),
                t["attended"],
                t["expected"],
                group["rate"],
                t["leave"],
                t["absent"],
                t["late"],
            ]
        )
    return xlsx_book(
        [
            Sheet("考勤汇总", header, rows, [6, 22, 10, 16] + [14] * len(sessions) + [9] * 6),
            Sheet(
                "按单位",
                ["单位", "人数", "出勤次数", "应出勤", "出勤率(%)", "请假", "旷课", "迟到"],
                unit_rows,
                [26, 8, 10, 10, 10, 8, 8, 8],
            ),
            Sheet(
                "课程",
                ["序号", "开始时间", "结束时间", "课程", "学时"],
                [
                    [i, _naive(s.start), _naive(s.end), s.topic, float(s.credit_hours)]
                    for i, s in enumerate(sessions, start=1)
                ],
                [6, 18, 18, 40, 8],
            ),
        ]
    )


CSV_HEADER = ["课程开始", "课程", "姓名", "单位", "状态", "签到时间", "签退时间", "来源"]


def attendance_csv_lines(*, program):
    """Yield CSV lines for every attendance record of the program (flat memory)."""
    labels = dict(selectors.AttendanceStatus.choices)
    buffer = io.StringIO()
    writer = csv.writer(buffer)

    def line(values) -> str:
        buffer.seek(0)
        buffer.truncate()
        writer.writerow(values)
        return buffer.getvalue()

    yield "\ufeff" + line(CSV_HEADER)  # BOM: Excel opens UTF-8 CSV correctly with it
    for (
        start,
        topic,
        name,
        unit,
        status,
        checkin,
        checkout,
        source,
    ) in selectors.attendance_flat_rows(program=program):
        yield line(
            [
                _fmt(start),
                topic,
                name,
                unit or "",
                labels.get(status, status),
                _fmt(checkin),
                _fmt(checkout),
                source,
            ]
        )


# --- Trainee record ----------------------------------------------------------------------------


def trainee_record_pdf(*, user) -> bytes:
    data = selectors.trainee_record_data(user=user)
    return html_to_pdf(
        render_to_string("reports/pdf/trainee_record.html", data), extra_css=RECORD_CSS
    )


def trainee_record_xlsx(*, user) -> bytes:
    data = selectors.trainee_record_data(user=user)
    sessions = []
    for p in data["programs"]:
        for s in p["sessions"]:
            sessions.append(
                [
                    p["program"].title,
                    _naive(s["session"].start),
                    s["session"].topic,
                    s["status"],
                    float(s["hours"]),
                ]
            )
    years = [
        [y["year"], float(y["hours"]), float(y["required"]), "达标" if y["met"] else "未达标"]
        for y in data["credit_years"]
    ]
    return xlsx_book(
        [
            Sheet(
                "参训记录", ["项目", "时间", "课程", "考勤", "学时"], sessions, [34, 18, 36, 10, 8]
            ),
            Sheet("年度学时", ["年度", "已获学时", "要求学时", "是否达标"], years, [8, 10, 10, 10]),
        ]
    )


# --- Statistics --------------------------------------------------------------------------------


def statistics_xlsx(*, stats: dict) -> bytes:
    f = stats["filters"]
    overview = [
        ["年度", f.year],
        ["单位", f.unit.name if f.unit else "全部"],
        ["级别", f.level or "全部"],
        ["职级", f.rank or "全部"],
        ["举办班次", stats["programs"]],
        ["培训人数", stats["trainees"]],
        ["培训人次", stats["trainee_times"]],
        ["出勤率(%)", stats["attendance_rate"]],
        ["结业率(%)", stats["completion_rate"]],
        ["满意度(%)", stats["satisfaction_rate"]],
        ["学时达标率(%)", stats["compliance_rate"]],
        ["请假人次", stats["leave"]],
        ["旷课人次", stats["absent"]],
    ]
    return xlsx_book(
        [
            Sheet("概览", ["指标", "数值"], overview, [16, 20]),
            Sheet(
                "按级别",
                ["级别", "班次", "人次", "出勤率(%)"],
                [
                    [r["label"], r["programs"], r["trainee_times"], r["attendance_rate"]]
                    for r in stats["levels"]
                ],
                [12, 10, 10, 10],
            ),
            Sheet(
                "按职级",
                ["职级", "人次", "出勤率(%)", "结业率(%)", "人数", "学时达标率(%)", "年度要求学时"],
                [
                    [
                        r["label"],
                        r["trainee_times"],
                        r["attendance_rate"],
                        r["completion_rate"],
                        r["trainees"],
                        r["compliance_rate"],
                        float(r["required"] or 0),
                    ]
                    for r in stats["ranks"]
                ],
                [12, 10, 10, 10, 10, 12, 12],
            ),
            Sheet(
                "按单位",
                ["单位", "人次", "出勤率(%)", "结业率(%)", "人数", "学时达标率(%)"],
                [
                    [
                        r["unit"].name,
                        r["trainee_times"],
                        r["attendance_rate"],
                        r["completion_rate"],
                        r["trainees"],
                        r["compliance_rate"],
                    ]
                    for r in stats["units"]
                ],
                [24, 10, 10, 10, 10, 12],
            ),
            Sheet(
                "按月份",
                ["月份", "人次"],
                [[m["month"], m["trainee_times"]] for m in stats["months"]],
                [8, 10],
            ),
        ]
    )


# --- Excel helper ------------------------------------------------------------------------------


class Sheet:
    def __init__(self, title, header, rows, widths=None):
        self.title, self.header, self.rows, self.widths = title, header, rows, widths or []


def xlsx_book(sheets: list[Sheet]) -> bytes:
    """A workbook in write-only mode (flat memory): bold frozen header, widths, real dates."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font, PatternFill
    from openpyxl.utils import get_column_letter

    wb = Workbook(write_only=True)
    bold = Font(bold=True)
    fill = PatternFill("solid", fgColor="EEEEEE")
    for sheet in sheets:
        ws = wb.create_sheet(title=sheet.title[:31])
        ws.freeze_panes = "A2"
        for i, width in enumerate(sheet.widths, start=1):
            ws.column_dimensions[get_column_letter(i)].width = width
        header = []
        for value in sheet.header:
            cell = WriteOnlyCell(ws, value=value)
            cell.font, cell.fill = bold, fill
            header.append(cell)
        ws.append(header)
        for row in sheet.rows:
            out = []
            for value in row:
                if isinstance(value, Promise):  # lazy translations
                    value = str(value)
                if isinstance(value, datetime):
                    cell = WriteOnlyCell(ws, value=value)
                    cell.number_format = "yyyy-mm-dd hh:mm"
                    out.append(cell)
                else:
                    out.append(value)
            ws.append(out)
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def _naive(value):
    """Excel has no time zones: write local wall-clock time."""
    if value is None:
        return None
    if timezone.is_aware(value):
        value = timezone.localtime(value)
    return value.replace(tzinfo=None)


def _fmt(value) -> str:
    if value is None:
        return ""
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M:%S")
