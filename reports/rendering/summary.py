"""The attendance summary (考勤汇总表) of a program: PDF and Excel.

The one large document (2,000 trainees × 10 sessions). WeasyPrint's layout cost grows with the
number of boxes, so the ten-odd status marks and the figures of a trainee are one table cell of
text whose columns sit on tab stops (core.pdfgrid: one box per row instead of fifteen). The
document is laid out in one WeasyPrint call with public API only; core.pdf numbers its pages
"第 N 页 / 共 M 页" with CSS page counters (DESIGN.md §6; benchmarks/ANALYSIS.md, "PDF engines
side by side").
"""

import math
from functools import lru_cache

from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext

from core.pdf import html_to_pdf
from core.pdfgrid import LINE_COLOR, PX_PER_MM, PX_PER_PT, Grid, tab_scale
from core.tabular import Column, Sheet, fitted_header_height, xlsx_bytes
from reports import selectors
from reports.rendering.common import _pct

SUMMARY_WIDTH_MM = 277  # A4 landscape inside 10 mm margins


@lru_cache(maxsize=16)
def _summary_layout(n_sessions: int) -> tuple[Grid, str]:
    """Grid and stylesheet for `n_sessions` columns: 序号 姓名 marks… 出勤率(2 slots) 请假 旷课.

    The slot (tab step) is one session column; a mark is centred in it because the rules are
    drawn half a slot's spare width left of each stop.
    """
    slot_mm = max(3.2, min(12.0, SUMMARY_WIDTH_MM / (n_sessions + 8)))
    font_pt = round(min(8.0, (slot_mm - 1.0) * 72 / 25.4), 2)
    tab_px = max(8, round(slot_mm * PX_PER_MM / tab_scale()))
    tab = tab_px * tab_scale()
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
            "n": len(group["rows"]),
        }
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


def summary_html(*, program, sessions=None, progress=None) -> str:
    """The whole summary as one HTML document (read once: the rows, the overview)."""
    sessions = sessions if sessions is not None else selectors.program_sessions(program=program)
    sessions = _with_local_start(sessions)
    groups = selectors.summary_rows(program=program, sessions=sessions)
    overview = selectors.summary_overview(program=program, sessions=sessions)
    _decorate_rows(groups, len(sessions), 0)
    if progress:
        progress(30)
    return render_to_string(
        "reports/pdf/summary.html",
        {
            "program": program,
            "sessions": sessions,
            "groups": groups,
            "header": _summary_header(sessions),
            "first": True,
            "last": True,
            "overview": overview,
        },
    )


def summary_pdf(*, program, progress=None) -> bytes:
    """The summary PDF: one WeasyPrint render, pages numbered by core.pdf's footer."""
    sessions = selectors.program_sessions(program=program)
    html = summary_html(program=program, sessions=sessions, progress=progress)
    return html_to_pdf(html, extra_css=_summary_css(len(sessions)), title=summary_title(program))


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
