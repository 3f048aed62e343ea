"""The attendance summary (考勤汇总表) of a program: PDF and Excel.

The one large document. WeasyPrint lays it out single-threaded, and layout cost grows with the
number of boxes, so (DESIGN.md §1, §6):
- the ten-odd status marks of a trainee are one table cell of full-width characters spaced to
  sit under their session columns (one box instead of ten, reports.rendering.layout);
- the document is cut into per-unit chunks of about CHUNK_ROWS trainees, rendered in parallel
  (a Celery chord, or a process pool in the command path) without page numbers, merged with pypdf
  and numbered "第 N 页 / 共 M 页" across all chunks (reports.pdfmerge).
"""

import gc
import itertools
import math
import os
from concurrent.futures import ProcessPoolExecutor
from functools import lru_cache

from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext

from core.pdf import html_to_pdf
from core.tabular import Column, Sheet, fitted_header_height, xlsx_bytes
from reports import selectors
from reports.pdfmerge import merge_with_page_numbers
from reports.rendering.common import _pct
from reports.rendering.layout import (
    LINE_COLOR,
    NO_PAGE_NUMBERS_CSS,
    PX_PER_MM,
    PX_PER_PT,
    Grid,
    _advances,
    _tab_scale,
)

# Trainees per chunk of the PDF (tests and benchmarks lower it here).
CHUNK_ROWS = 1000


SUMMARY_WIDTH_MM = 277  # A4 landscape inside 10 mm margins


@lru_cache(maxsize=16)
def _summary_layout(n_sessions: int) -> tuple[Grid, str]:
    """Grid and stylesheet for `n_sessions` columns: 序号 姓名 marks… 出勤率(2 slots) 请假 旷课.

    The slot (tab step) is one session column; a mark is centred in it because the rules are
    drawn half a slot's spare width left of each stop.
    """
    slot_mm = max(3.2, min(12.0, SUMMARY_WIDTH_MM / (n_sessions + 8)))
    font_pt = round(min(8.0, (slot_mm - 1.0) * 72 / 25.4), 2)
    tab_px = max(8, round(slot_mm * PX_PER_MM / _tab_scale()))
    tab = tab_px * _tab_scale()
    em = font_pt * PX_PER_PT
    pad = (tab - em) / 2
    origin = 1.4 * PX_PER_MM
    # 序号 at 0, 姓名 at one slot, marks from three slots (names up to ~6 characters).
    name_stop = 1 if tab >= 26 else 2
    first_mark = name_stop + max(2, math.ceil(22 * PX_PER_MM / tab))
    stops = [0, name_stop] + [first_mark + i for i in range(n_sessions)]
    tail = first_mark + n_sessions
    rate_slots = max(1, math.ceil((3.5 * em + pad + 2) / tab))
    stops += [tail, tail + rate_slots, tail + rate_slots + 1]
    lines = [-origin, name_stop * tab - 1.2 * PX_PER_MM] + [k * tab - pad for k in stops[2:]]
    lines.append(lines[-1] + tab)
    grid = Grid(tab_px=tab_px, stops=stops, lines=lines, origin_px=origin, font_pt=font_pt)
    head_pt = min(7.0, font_pt)
    unit_rules = Grid(
        tab_px=tab_px,
        stops=[0, *stops[-3:]],
        lines=[-origin, *lines[-4:]],
        origin_px=origin,
        font_pt=font_pt,
    ).rules()
    css = f"""
@page {{ size: A4 landscape; margin: 12mm 10mm 16mm 10mm; }}
h1 {{ font-size: 14pt; margin-bottom: 1mm; }}
p.center {{ text-align: center; margin: 0 0 2mm; }}
p.legend {{ font-size: 8pt; margin: 1mm 0 2mm; }}
table.overview {{ font-size: 8.5pt; margin-bottom: 1mm; }}
table.overview th {{ background: #f3f3f3; }}
{grid.css("grid", font_pt)}
table.grid tr.cols th {{ background: {grid.rules()} 0 0 / 100% 100% no-repeat, #eee;
  border-top: .5pt solid {LINE_COLOR}; border-bottom: .5pt solid {LINE_COLOR}; }}
table.grid tr.cols td {{ font-size: {head_pt}pt; line-height: 1.25; padding-top: .6mm;
  padding-bottom: .6mm; }}
table.grid td {{ border-bottom: .5pt solid {LINE_COLOR}; padding-top: .45mm;
  padding-bottom: .45mm; line-height: 1.3; }}
table.grid tr.unit > td {{ background: {unit_rules} 0 0 / 100% 100% no-repeat, #f1f1f1; }}
table.grid tr.unit, table.grid tr.unit + tr {{ break-after: avoid; }}
table.grid table.cells td {{ border: none; padding-top: 0; padding-bottom: 0; }}
table.grid td.u0 {{ width: {lines[-4] - lines[0] - origin:.2f}px; padding-left: {origin:.2f}px; }}
table.grid td.u1 {{ width: {tab * rate_slots - pad:.2f}px; padding-left: {pad:.2f}px; }}
table.grid td.u2, table.grid td.u3 {{ width: {tab - pad:.2f}px; padding-left: {pad:.2f}px; }}
table.sessions {{ font-size: 8pt; width: auto; }}
"""
    return grid, css


def _summary_css(n_sessions: int) -> str:
    return _summary_layout(n_sessions)[1]


def _decorate_rows(groups, n_sessions: int, offset: int) -> None:
    grid, _css = _summary_layout(n_sessions)
    n = offset
    for group in groups:
        label = gettext("%(unit)s(%(n)s 人)") % {
            "unit": group["name"],
            "n": group.get("size", len(group["rows"])),
        }
        if group.get("continued"):
            label += gettext("(续)")
        group["label"] = f"{label}  {gettext('单位出勤率')} {_pct(group['rate']) or '—'}"
        group["unit_width"] = grid.lines[-4] - grid.lines[0]
        for row in group["rows"]:
            n += 1
            row["n"] = n
            row["cells"] = [
                n,
                row["name"],
                *row["marks"],
                _pct(row["rate"]),
                row["leave"],
                row["absent"],
            ]
            row["line"] = grid.line(row["cells"])
            if row["line"] is None:
                row["cells"] = list(zip(row["cells"], grid.fit(row["cells"]), strict=True))


def _summary_header(sessions) -> list[tuple[str, str]]:
    cells = [(gettext("序号"), ""), (gettext("姓名"), "")]
    cells += [
        (str(i), f"{s.local_start.month}/{s.local_start.day}") for i, s in enumerate(sessions, 1)
    ]
    cells += [(gettext("出勤率"), ""), (gettext("请假"), ""), (gettext("旷课"), "")]
    return cells


def _with_local_start(sessions):
    for s in sessions:
        s.local_start = timezone.localtime(s.start)
    return sessions


def _slice_groups(groups, skip: int, take: int | None) -> list[dict]:
    """Rows skip … skip+take of the groups in order; a unit cut at the start is marked 续."""
    out, seen = [], 0
    for group in groups:
        rows = group["rows"]
        lo, hi = (
            max(0, skip - seen),
            len(rows) if take is None else min(len(rows), skip + take - seen),
        )
        seen += len(rows)
        if lo >= hi:
            continue
        out.append({**group, "rows": rows[lo:hi], "size": len(rows), "continued": lo > 0})
    return out


def summary_chunk_html(
    *,
    program,
    sessions,
    unit_ids=None,
    index: int,
    count: int,
    offset: int,
    skip: int = 0,
    take: int | None = None,
    overview=None,
    groups=None,
) -> str:
    """HTML of one chunk of the summary (the first carries the title and overview).

    `groups` (all units of the program) may be passed in; otherwise the chunk's units are read.
    """
    if groups is None:
        groups = selectors.summary_rows(program=program, sessions=sessions, unit_ids=unit_ids)
    else:
        skip = offset
    groups = _slice_groups(groups, skip, take)
    _decorate_rows(groups, len(sessions), offset)
    if index == 0 and overview is None:
        overview = selectors.summary_overview(program=program, sessions=sessions)
    return render_to_string(
        "reports/pdf/summary.html",
        {
            "program": program,
            "sessions": _with_local_start(sessions),
            "groups": groups,
            "header": _summary_header(_with_local_start(sessions)),
            "first": index == 0,
            "last": index == count - 1,
            "overview": overview,
        },
    )


def summary_plan(*, program, max_rows: int | None = None) -> list[dict]:
    """Chunks of about equal row counts (a unit may be cut between two chunks).

    Each chunk: the unit ids it touches, the number of rows before it (`offset`), the rows of
    its first unit to skip and how many rows it holds.
    """
    max_rows = max_rows or CHUNK_ROWS
    units = selectors.unit_groups_of_program(program=program)
    total = sum(n for _u, _name, n in units)
    count = max(1, math.ceil(total / max_rows))
    size = math.ceil(total / count) if total else 0
    plan, offset = [], 0
    while offset < total or not plan:
        end = min(total, offset + size) if size else 0
        unit_ids, skip, start = [], 0, 0
        for unit_id, _name, n in units:
            if start + n > offset and start < end:
                if not unit_ids:
                    skip = offset - start
                unit_ids.append(unit_id)
            start += n
        plan.append({"unit_ids": unit_ids, "offset": offset, "skip": skip, "take": end - offset})
        if not size:
            break
        offset = end
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
        skip=chunk.get("skip", 0),
        take=chunk.get("take"),
    )
    return render_chunk(html, len(sessions))


def render_chunk(html: str, n_sessions: int) -> bytes:
    """Lay out one chunk without page numbers (they are stamped after merging)."""
    return html_to_pdf(html, extra_css=_summary_css(n_sessions) + NO_PAGE_NUMBERS_CSS)


def _summary_parts(*, program, sessions, plan):
    """Yield every chunk's HTML in order, from one read of the program's rows (done before the
    first chunk is yielded: nothing after it touches the database)."""
    groups = selectors.summary_rows(program=program, sessions=sessions)
    overview = selectors.summary_overview(program=program, sessions=sessions)
    for i, c in enumerate(plan):
        yield summary_chunk_html(
            program=program,
            sessions=sessions,
            index=i,
            count=len(plan),
            offset=c["offset"],
            take=c["take"],
            overview=overview,
            groups=groups,
        )


def summary_html_parts(*, program, sessions=None, max_rows: int | None = None) -> list[str]:
    sessions = sessions if sessions is not None else selectors.program_sessions(program=program)
    plan = summary_plan(program=program, max_rows=max_rows)
    return list(_summary_parts(program=program, sessions=sessions, plan=plan))


def summary_pdf(
    *, program, workers: int | None = None, max_rows: int | None = None, progress=None
) -> bytes:
    """The whole summary PDF in this process: chunks laid out by a pool of worker processes.

    The HTML is built here (the pool never touches the database, so forking is safe) and each
    chunk goes to the pool as soon as its HTML is ready, so layout overlaps the HTML of the next.
    """
    sessions = selectors.program_sessions(program=program)
    plan = summary_plan(program=program, max_rows=max_rows)
    n_chunks = len(plan)
    workers = workers or min(n_chunks, os.cpu_count() or 1)
    parts = _summary_parts(program=program, sessions=sessions, plan=plan)
    if n_chunks == 1 or workers <= 1:
        pdfs = []
        for i, html in enumerate(parts):
            pdfs.append(render_chunk(html, len(sessions)))
            if progress:
                progress(20 + int(70 * (i + 1) / n_chunks))
        return merge_with_page_numbers(pdfs, title=summary_title(program))
    import multiprocessing

    from django.db import connections

    # Everything the children need from the database is read before they are forked (the
    # first chunk's HTML comes after the one read of all rows), and the per-process caches
    # (glyph widths, parsed stylesheet, footer font) are warmed here once instead of in every
    # child.
    from core.pdf import _extra_stylesheet

    first = next(parts)
    _advances(), _tab_scale()
    _extra_stylesheet(_summary_css(len(sessions)) + NO_PAGE_NUMBERS_CSS)
    connections.close_all()
    gc.freeze()  # the children share the parent's heap copy-on-write; keep gc from touching it
    try:
        ctx = multiprocessing.get_context("fork")
        with ProcessPoolExecutor(max_workers=workers, mp_context=ctx) as pool:
            futures = [
                pool.submit(render_chunk, html, len(sessions))
                for html in itertools.chain([first], parts)
            ]
            if progress:
                progress(20)
            pdfs = []
            for i, future in enumerate(futures):
                pdfs.append(future.result())
                if progress:
                    progress(20 + int(70 * (i + 1) / len(futures)))
    finally:
        gc.unfreeze()
    return merge_with_page_numbers(pdfs, title=summary_title(program))


def summary_bare_html(*, program, max_rows: int | None = None) -> str:
    """The same content as one HTML document (for the side-by-side benchmark)."""
    parts = summary_html_parts(program=program, max_rows=max_rows)
    if len(parts) == 1:
        return parts[0]
    bodies = [p.split("<body>", 1)[1].rsplit("</body>", 1)[0] for p in parts]
    head = parts[0].split("<body>", 1)[0]
    return f"{head}<body>{''.join(bodies)}</body></html>"


def summary_title(program) -> str:
    return f"{program.title} {gettext('考勤汇总表')}"


def summary_xlsx(*, program) -> bytes:
    """The summary as a workbook: A4 landscape one page wide; session headers wrap (number,
    date and time, topic) in narrow columns so none is cut off."""
    sessions = selectors.program_sessions(program=program)
    groups = selectors.summary_rows(program=program, sessions=sessions)
    labels = dict(selectors.AttendanceStatus.choices)
    columns = [
        Column(gettext("序号"), width=6),
        Column(gettext("单位"), width=20, wrap=True),
        Column(gettext("姓名"), width=10),
        Column(gettext("职务"), width=14, wrap=True),
    ]
    columns += [
        Column(f"{i}\n{timezone.localtime(s.start):%m-%d %H:%M}\n{s.topic}", width=12, wrap=True)
        for i, s in enumerate(sessions, start=1)
    ]
    columns += [
        Column(gettext(h), width=8)
        for h in ("出勤次数", "应出勤", "出勤率(%)", "请假", "旷课", "迟到")
    ]
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
    title = summary_title(program)
    period = (
        f"{program.start_date:%Y-%m-%d}–{program.end_date:%Y-%m-%d}"
        f"    {program.organizing_unit.name if program.organizing_unit_id else ''}"
    )
    head = [title, period]
    content = xlsx_bytes(
        [
            Sheet(
                gettext("考勤汇总"),
                columns,
                rows,
                title_lines=head,
                landscape=True,
                header_height=fitted_header_height(columns),
            ),
            Sheet(
                gettext("按单位"),
                [
                    Column(gettext("单位"), width=28, wrap=True),
                    *(
                        Column(gettext(h), width=10)
                        for h in ("人数", "出勤次数", "应出勤", "出勤率(%)", "请假", "旷课", "迟到")
                    ),
                ],
                unit_rows,
                title_lines=head,
            ),
            Sheet(
                gettext("课程"),
                [
                    Column(gettext("序号"), width=6),
                    Column(gettext("开始时间"), width=17),
                    Column(gettext("结束时间"), width=17),
                    Column(gettext("课程"), width=44, wrap=True),
                    Column(gettext("学时"), width=8, number_format="0.0"),
                ],
                [
                    [i, s.start, s.end, s.topic, float(s.credit_hours)]
                    for i, s in enumerate(sessions, start=1)
                ],
                title_lines=head,
            ),
        ],
        title=title,
    )
    return content
