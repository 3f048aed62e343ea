"""The sign-in sheet (签到表) of one session: PDF (the one-line-per-row layout) and Excel."""

from functools import lru_cache

from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext, gettext_noop

from core.pdf import html_to_pdf
from core.pdfgrid import LINE_COLOR, PX_PER_MM, Grid, tab_scale
from core.tabular import Column, Sheet, xlsx_bytes
from reports import selectors
from reports.rendering.common import _hm, _joined, _label

SIGNIN_FONT_PT = 9.5
SIGNIN_TAB_PX = 23  # 6.1 mm
SIGNIN_STOPS = [0, 2, 6, 12, 15, 18, 22]  # 序号 姓名 职务 签到 签退 状态 本人签名
SIGNIN_COLUMNS = [
    gettext_noop("序号"),
    gettext_noop("姓名"),
    gettext_noop("职务"),
    gettext_noop("签到时间"),
    gettext_noop("签退时间"),
    gettext_noop("状态"),
    gettext_noop("本人签名"),
]
SIGNIN_WIDTH_MM = 182  # A4 portrait inside 14 mm margins


@lru_cache(maxsize=1)
def _signin_layout() -> tuple[Grid, str]:
    origin = 1.6 * PX_PER_MM
    gap = 1.4 * PX_PER_MM
    step = SIGNIN_TAB_PX * tab_scale()
    lines = [-origin] + [k * step - gap for k in SIGNIN_STOPS[1:]]
    lines.append(SIGNIN_WIDTH_MM * PX_PER_MM - origin)
    grid = Grid(
        tab_px=SIGNIN_TAB_PX,
        stops=SIGNIN_STOPS,
        lines=lines,
        origin_px=origin,
        font_pt=SIGNIN_FONT_PT,
    )
    css = f"""
h1 {{ font-size: 15pt; line-height: 1.35; }}
table.meta {{ margin-bottom: 4mm; }}
table.meta th {{ width: 18mm; background: #f3f3f3; }}
{grid.css("sheet", SIGNIN_FONT_PT)}
table.sheet > tbody {{ background: none; }}
table.sheet {{ background: {grid.rules()} 0 0 / 100% 100% no-repeat; }}
table.sheet tr.repeat th {{ font-size: 8pt; color: #555; text-align: right; padding: 0 0 1mm;
  background: #fff; }}
table.sheet tr.cols th {{ background: {grid.rules()} 0 0 / 100% 100% no-repeat, #eee;
  border-top: .5pt solid {LINE_COLOR}; border-bottom: .5pt solid {LINE_COLOR}; }}
table.sheet tr.cols td {{ padding-top: 1.6mm; padding-bottom: 1.6mm; font-weight: bold; }}
table.sheet td {{ border-bottom: .5pt solid {LINE_COLOR}; padding-top: 2.1mm;
  padding-bottom: 2.1mm; }}
table.sheet tr.unit > td {{ background: #f3f3f3; font-size: 8.5pt; padding: 1mm 1.5mm;
  border-left: .5pt solid {LINE_COLOR}; border-right: .5pt solid {LINE_COLOR}; }}
table.sheet table.cells td {{ border: none; padding-top: 0; padding-bottom: 0; }}
table.sheet tr.unit, table.sheet tr.unit + tr {{ break-after: avoid; }}
table.sheet tr.cols table.cells td {{ white-space: normal; line-height: 1.15;
  overflow: visible; }}
p.foot {{ margin-top: 3mm; font-size: 8pt; }}
"""
    return grid, css


def signin_html(*, session) -> tuple[str, str]:
    """HTML and stylesheet of a session's sign-in sheet."""
    data = selectors.signin_sheet_data(session=session)
    grid, css = _signin_layout()
    for group in data["groups"]:
        for r in group["rows"]:
            r["cells"] = [
                r["n"],
                r["name"],
                r["position"] or "",
                _hm(r["checkin"]),
                _hm(r["checkout"]),
                r["status"],
                "",
            ]
            r["line"] = grid.line(r["cells"])
            if r["line"] is None:
                r["cells"] = list(zip(r["cells"], grid.fit(r["cells"]), strict=True))
    html = render_to_string(
        "reports/pdf/signin.html",
        {
            **data,
            "generated": timezone.localtime(),
            "header_cells": [gettext(c) for c in SIGNIN_COLUMNS],
            "venue_names": _joined(v.name for v in data["venues"]),
            "lecturer_names": _joined(
                f"{lecturer.name}({lecturer.title})" if lecturer.title else lecturer.name
                for lecturer in data["lecturers"]
            ),
        },
    )
    return html, css


def signin_pdf(*, session) -> bytes:
    html, css = signin_html(session=session)
    return html_to_pdf(html, extra_css=css, title=signin_title(session))


def signin_xlsx(*, session) -> bytes:
    """The sign-in sheet as a workbook a class manager prints: a title block (program, session,
    time, venue, lecturers), A4 portrait one page wide, the header repeated on every page."""
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
                    r["checkin"],
                    r["checkout"],
                    r["status"],
                    "",
                ]
            )
    columns = [
        Column(gettext("序号"), width=6),
        Column(gettext("单位"), width=22, wrap=True),
        Column(gettext("姓名"), width=12),
        Column(gettext("职务"), width=18, wrap=True),
        Column(gettext("签到时间"), width=10, number_format="hh:mm"),
        Column(gettext("签退时间"), width=10, number_format="hh:mm"),
        Column(gettext("状态"), width=10),
        Column(gettext("本人签名"), width=16),
    ]
    return xlsx_bytes(
        [Sheet(gettext("签到表"), columns, rows, title_lines=signin_title_lines(data))],
        title=signin_title(session),
    )


def signin_title(session) -> str:
    return f"{session.program.title} · {session.topic} {gettext('签到表')}"


def signin_title_lines(data) -> list[str]:
    start, end = data["start"], data["end"]
    venues = _joined(v.name for v in data["venues"])
    lecturers = _joined(lecturer.name for lecturer in data["lecturers"])
    return [
        f"{data['program'].title} {gettext('签到表')}",
        _label(gettext("课程"), data["session"].topic),
        _label(gettext("时间"), f"{start:%Y-%m-%d %H:%M}–{end:%H:%M}")
        + "    "
        + _label(gettext("地点"), venues),
        _label(gettext("授课人"), lecturers)
        + "    "
        + _label(gettext("应到 / 实到"), f"{data['total']} / {data['checked_in']}"),
    ]
