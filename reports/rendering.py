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

import gc
import itertools
import math
import os
from concurrent.futures import ProcessPoolExecutor
from functools import lru_cache
from urllib.parse import quote

from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import get_language, gettext, gettext_lazy, gettext_noop

from core.pdf import html_to_pdf
from core.tabular import CSV_CONTENT_TYPE, XLSX_CONTENT_TYPE, Column, Sheet, csv_chunks, xlsx_bytes
from reports import selectors
from reports.pdfmerge import merge_with_page_numbers

CHUNK_ROWS = 1000
XLSX_TYPE = XLSX_CONTENT_TYPE
PDF_TYPE = "application/pdf"
CSV_TYPE = CSV_CONTENT_TYPE

PX_PER_MM = 96 / 25.4
PX_PER_PT = 96 / 72
LINE_COLOR = "#444"


# --- One text line per table row ---------------------------------------------------------------
#
# A row of N cells costs WeasyPrint N boxes to style, measure, lay out, draw and border. A row
# here is ONE cell holding one line of text whose columns start at tab stops (`white-space: pre`,
# `tab-size` = the grid step, so a row holds about one tab per column), placed from the font's own
# glyph advances; the column rules are one SVG background per row group and page, drawn where
# the cells' edges would be. A row whose values do not fit their columns (or use a glyph the font
# lacks) gets `line = None` and the template lays it out as real cells of the same geometry.
# Header and unit rows (a few per page) are always real cells.

CJK_FAMILY = "Noto Sans CJK SC"
EPS = 0.06  # px: keep text ends this far from a tab stop (Pango's own rounding is ~0.001 px)


@lru_cache(maxsize=1)
def _advances() -> dict[int, int] | None:
    """Advance widths (per 1000 em) of the CJK font WeasyPrint uses, by code point."""
    import subprocess

    from fontTools.ttLib import TTCollection, TTFont

    try:
        found = subprocess.run(
            ["fc-match", "-f", "%{file}\n%{index}", CJK_FAMILY],
            capture_output=True,
            text=True,
            check=True,
            timeout=10,
        ).stdout.split("\n")
        path, index = found[0], int(found[1] or 0)
        if path.lower().endswith(".ttc"):
            font = TTCollection(path, lazy=True).fonts[index]
        else:
            font = TTFont(path, lazy=True)
        upem = font["head"].unitsPerEm
        hmtx = font["hmtx"]
        return {cp: hmtx[glyph][0] * 1000 / upem for cp, glyph in font.getBestCmap().items()}
    except Exception:  # pragma: no cover - no fontconfig or font: every row as cells
        return None


@lru_cache(maxsize=1)
def _tab_scale() -> float:
    """Where WeasyPrint/Pango really put a tab stop per px of `tab-size` (1.024 with Pango 1.5x).

    Measured once per process on a one-line document rather than assumed."""
    from weasyprint import HTML

    from core.pdf import _font_config

    doc = HTML(
        string='<p style="white-space: pre; tab-size: 1000px; margin: 0">\t<b>x</b></p>'
    ).render(font_config=_font_config())
    box = doc.pages[0]._page_box
    while getattr(box, "children", None):
        box = box.children[0]
    return box.width / 1000 if box.width else 1.0


class Grid:
    """Columns of a one-cell-per-row table.

    `stops[i]`: the tab stop (in steps of `tab_px`) where column i's text starts; `lines`: the
    x of every column edge (len(stops) + 1), in px from the text origin, which sits `origin_px`
    right of the cell's left edge.
    """

    def __init__(self, *, tab_px: int, stops, lines, origin_px: float, font_pt: float):
        self.stops, self.lines, self.origin = stops, lines, origin_px
        self.tab_px, self.tab = tab_px, tab_px * _tab_scale()
        self.font_px = font_pt * PX_PER_PT
        self.widths = _advances()
        self.space = (self.widths or {}).get(32, 224) * self.font_px / 1000
        self.total_px = origin_px + lines[-1]

    def text_width(self, text: str) -> float | None:
        total = 0.0
        for ch in text:
            w = self.widths.get(ord(ch))
            if w is None or ch in "\t\n":
                return None
            total += w
        return total * self.font_px / 1000

    def line(self, values) -> str | None:
        """The row as one string of text and tabs, or None when a value does not fit."""
        if self.widths is None:
            return None
        out, x = [], 0.0
        for i, value in enumerate(values):
            value = str(value)
            if not value:
                continue
            w = self.text_width(value)
            start = self.stops[i] * self.tab
            if w is None or start + w > self.lines[i + 1] - 2:
                return None
            if start:
                if x:  # stay clear of a stop that rounding could put on either side of x
                    while abs(x / self.tab - round(x / self.tab)) * self.tab < EPS:
                        out.append(" ")
                        x += self.space
                first = math.floor(x / self.tab) + 1  # Pango: the first stop strictly past x
                if first > self.stops[i]:
                    return None
                out.append("\t" * (self.stops[i] - first + 1))
            elif x:
                return None
            out.append(value)
            x = start + w
        return "".join(out)

    def fit(self, values) -> list[str]:
        """For the real-cell fallback: a smaller font size (pt) for each value too wide for its
        column, so it stays on one line (extractable whole); "" where it fits or cannot tell."""
        out = []
        for i, value in enumerate(values):
            w = self.text_width(str(value)) if self.widths else None
            room = self.lines[i + 1] - self.stops[i] * self.tab - 2
            if w and w > room:
                out.append(f"{max(4.0, self.font_px / PX_PER_PT * room / w):.2f}")
            else:
                out.append("")
        return out

    def rules(self, first=1, frame=True) -> str:
        """A CSS url() of the vertical rules (column edges from `first` on), SVG stretched."""
        w = self.total_px
        xs = [self.origin + x for x in self.lines[first:-1]]
        path = "".join(f"M{x:.2f} 0V10" for x in xs)
        if frame:
            path += f"M0.33 0V10M{w - 0.33:.2f} 0V10"
        svg = (
            f'<svg xmlns="http://www.w3.org/2000/svg" width="{w:.2f}" height="10" '
            f'viewBox="0 0 {w:.2f} 10" preserveAspectRatio="none">'
            f'<path d="{path}" stroke="{LINE_COLOR}" stroke-width="0.67" fill="none"/></svg>'
        )
        return 'url("data:image/svg+xml,' + quote(svg, safe=" =:/,.") + '")'

    def css(self, table: str, font_pt: float) -> str:
        """Rules for `table.<table>` rows and their real-cell fallback (`table.cells`)."""
        # c<i>: a fallback cell, text where the tab line puts it; h<i>: a header cell, centred.
        cells = "".join(
            f"table.{table} td.c{i} {{ width: {self.lines[i + 1] - self.stops[i] * self.tab:.2f}px; "
            f"padding: 0 0 0 {self.stops[i] * self.tab - self.lines[i]:.2f}px; }}\n"
            f"table.{table} td.h{i} {{ width: {self.lines[i + 1] - self.lines[i]:.2f}px; "
            "padding: 0; text-align: center; }\n"
            for i in range(len(self.stops))
        )
        return f"""
table.{table} {{ width: {self.total_px:.2f}px; border-collapse: separate; border-spacing: 0;
  table-layout: fixed; font-size: {font_pt}pt; }}
table.{table} th, table.{table} td {{ border: none; padding: 0 0 0 {self.origin:.2f}px;
  text-align: left; font-weight: normal; white-space: pre; tab-size: {self.tab_px}px; }}
table.{table} > tbody {{ background: {self.rules()} 0 0 / 100% 100% no-repeat; }}
table.{table} table.cells {{ width: {self.total_px:.2f}px; margin-left: -{self.origin:.2f}px;
  table-layout: fixed; border-collapse: collapse; }}
table.{table} table.cells td {{ white-space: nowrap; overflow: hidden; border: none; }}
table.{table} tr.cols > th, table.{table} tr.unit > td {{ padding: 0; }}
table.{table} tr.cols table.cells, table.{table} tr.unit table.cells {{ margin-left: 0; }}
{cells}"""


RECORD_CSS = """
h3 { font-size: 11pt; margin: 4mm 0 1mm; }
h3, h3 + p.muted { break-after: avoid; }
table { font-size: 9pt; margin-bottom: 2mm; }
table.meta th { width: 18mm; background: #f3f3f3; }
"""

NO_PAGE_NUMBERS_CSS = "@page { @bottom-center { content: none; } }"


# --- Sign-in sheet -----------------------------------------------------------------------------

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
    step = SIGNIN_TAB_PX * _tab_scale()
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


def _hm(value) -> str:
    return value.strftime("%H:%M") if value else ""


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


def _chinese() -> bool:
    return (get_language() or "zh-hans").startswith("zh")


def _label(label: str, value) -> str:
    """ "标签:值" in Chinese, "Label: value" in another language."""
    return f"{label}:{value}" if _chinese() else f"{label}: {value}"


def _joined(values) -> str:
    return ("、" if _chinese() else ", ").join(str(v) for v in values if v) or "—"


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


# --- Attendance summary ------------------------------------------------------------------------

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


def _pct(value) -> str:
    return "" if value is None else f"{value}%"


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
            Sheet(gettext("考勤汇总"), columns, rows, title_lines=head, landscape=True),
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
    return header_rows_fitted(content, {1: (len(head) + 2, header_height(columns))})


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
                        rb'<row r="%d"' % row,
                        b'<row r="%d" ht="%.1f" customHeight="1"' % (row, height),
                        data,
                        count=1,
                    )
            target.writestr(info, data)
    return out.getvalue()


CSV_HEADER = [
    gettext_lazy("课程开始"),
    gettext_lazy("课程"),
    gettext_lazy("姓名"),
    gettext_lazy("单位"),
    gettext_lazy("状态"),
    gettext_lazy("签到时间"),
    gettext_lazy("签退时间"),
    gettext_lazy("来源"),
]


def attendance_csv_lines(*, program):
    """Yield CSV lines for every attendance record of the program (flat memory): statuses and
    sources as labels, every cell formula-safe (core.tabular)."""
    from attendance.models import AttendanceRecord

    labels = dict(selectors.AttendanceStatus.choices)
    sources = dict(AttendanceRecord.Source.choices)
    rows = (
        [
            start,
            topic,
            name,
            unit or "",
            labels.get(status, status),
            checkin,
            checkout,
            sources.get(source, source),
        ]
        for (
            start,
            topic,
            name,
            unit,
            status,
            checkin,
            checkout,
            source,
        ) in selectors.attendance_flat_rows(program=program)
    )
    return csv_chunks([str(h) for h in CSV_HEADER], rows)


# --- Trainee record ----------------------------------------------------------------------------


def trainee_record_pdf(*, user) -> bytes:
    data = selectors.trainee_record_data(user=user)
    return html_to_pdf(
        render_to_string("reports/pdf/trainee_record.html", data),
        extra_css=RECORD_CSS,
        title=record_title(user),
    )


def record_title(user) -> str:
    return f"{user.full_name} {gettext('个人培训档案')}"


def trainee_record_xlsx(*, user) -> bytes:
    data = selectors.trainee_record_data(user=user)
    sessions = []
    for p in data["programs"]:
        for s in p["sessions"]:
            sessions.append(
                [
                    p["program"].title,
                    s["session"].start,
                    s["session"].topic,
                    s["status"],
                    float(s["hours"]),
                ]
            )
    years = [
        [
            y["year"],
            float(y["hours"]),
            float(y["required"]),
            gettext("达标") if y["met"] else gettext("未达标"),
        ]
        for y in data["credit_years"]
    ]
    head = [
        record_title(user),
        "    ".join(
            str(v)
            for v in (
                user.unit.name if user.unit_id else "",
                user.position,
                user.get_rank_display(),
            )
            if v
        ),
    ]
    return xlsx_bytes(
        [
            Sheet(
                gettext("参训记录"),
                [
                    Column(gettext("项目"), width=30, wrap=True),
                    Column(gettext("时间"), width=17),
                    Column(gettext("课程"), width=34, wrap=True),
                    Column(gettext("考勤"), width=10),
                    Column(gettext("学时"), width=8, number_format="0.0"),
                ],
                sessions,
                title_lines=head,
            ),
            Sheet(
                gettext("年度学时"),
                [
                    Column(gettext("年度"), width=8),
                    Column(gettext("已获学时"), width=12, number_format="0.0"),
                    Column(gettext("要求学时"), width=12, number_format="0.0"),
                    Column(gettext("是否达标"), width=12),
                ],
                years,
                title_lines=head,
            ),
        ],
        title=record_title(user),
    )


# --- Statistics --------------------------------------------------------------------------------


def statistics_title(filters) -> str:
    return f"{gettext('培训统计')} {filters.year}"


def statistics_xlsx(*, stats: dict) -> bytes:
    """The statistics page as a workbook: filters written as their labels (as on screen)."""
    from accounts.models import Rank
    from programs.models import Program

    f = stats["filters"]
    everything = gettext("全部")
    level = dict(Program.Level.choices).get(f.level, f.level) if f.level else everything
    rank = dict(Rank.choices).get(f.rank, f.rank) if f.rank else everything
    overview = [
        [gettext("年度"), f.year],
        [gettext("单位"), f.unit.name if f.unit else everything],
        [gettext("级别"), str(level)],
        [gettext("职级"), str(rank)],
        [gettext("举办班次"), stats["programs"]],
        [gettext("培训人数"), stats["trainees"]],
        [gettext("培训人次"), stats["trainee_times"]],
        [gettext("出勤率(%)"), stats["attendance_rate"]],
        [gettext("结业率(%)"), stats["completion_rate"]],
        [gettext("满意度(%)"), stats["satisfaction_rate"]],
        [gettext("学时达标率(%)"), stats["compliance_rate"]],
        [gettext("请假人次"), stats["leave"]],
        [gettext("旷课人次"), stats["absent"]],
    ]
    title = statistics_title(f)
    scope = "    ".join(_label(k, v) for k, v in overview[1:4])
    head = [title, scope]

    def cols(*specs):
        return [Column(gettext(h), width=w, wrap=w >= 20) for h, w in specs]

    return xlsx_bytes(
        [
            Sheet(gettext("概览"), cols(("指标", 18), ("数值", 24)), overview, title_lines=head),
            Sheet(
                gettext("按级别"),
                cols(("级别", 14), ("班次", 10), ("人次", 10), ("出勤率(%)", 12)),
                [
                    [str(r["label"]), r["programs"], r["trainee_times"], r["attendance_rate"]]
                    for r in stats["levels"]
                ],
                title_lines=head,
            ),
            Sheet(
                gettext("按职级"),
                cols(
                    ("职级", 14),
                    ("人次", 10),
                    ("出勤率(%)", 12),
                    ("结业率(%)", 12),
                    ("人数", 10),
                    ("学时达标率(%)", 14),
                    ("年度要求学时", 14),
                ),
                [
                    [
                        str(r["label"]),
                        r["trainee_times"],
                        r["attendance_rate"],
                        r["completion_rate"],
                        r["trainees"],
                        r["compliance_rate"],
                        float(r["required"] or 0),
                    ]
                    for r in stats["ranks"]
                ],
                title_lines=head,
            ),
            Sheet(
                gettext("按单位"),
                cols(
                    ("单位", 26),
                    ("人次", 10),
                    ("出勤率(%)", 12),
                    ("结业率(%)", 12),
                    ("人数", 10),
                    ("学时达标率(%)", 14),
                ),
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
                title_lines=head,
            ),
            Sheet(
                gettext("按月份"),
                cols(("月份", 10), ("人次", 10)),
                [[m["month"], m["trainee_times"]] for m in stats["months"]],
                title_lines=head,
            ),
        ],
        title=title,
    )
