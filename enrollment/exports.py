"""Roster exports: Excel through core.tabular (formula-safe, A4 print set-up, title lines, frozen
and repeated header) and PDF (CJK font embedded, A4 landscape, header repeated on every page).

The PDF of the largest class (2,000 trainees) took 32 s when each of its 20,000 cells was a
WeasyPrint table cell; each row is now one line of text on tab stops (core.pdfgrid), as the
attendance summary and the sign-in sheet are: a few seconds. Both are file jobs (the Excel of
2,000 trainees takes ~5 s in openpyxl). Phone numbers are masked (core.pii) in both files; the
Excel carries full numbers only when its exporter asked for them with a reason
(core.pii.full_export_check)."""

from functools import lru_cache

from django.utils import timezone
from django.utils.html import escape
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.pdf import html_to_pdf
from core.pdfgrid import LINE_COLOR, PX_PER_MM, Grid, tab_scale
from core.pii import export_masker
from enrollment import selectors

COLUMNS = [  # (header, width in characters, wraps)
    (gettext_lazy("序号"), 5, False),
    (gettext_lazy("姓名"), 9, False),
    (gettext_lazy("性别"), 5, False),
    (gettext_lazy("单位"), 24, True),
    (gettext_lazy("职务"), 16, True),
    (gettext_lazy("职级"), 8, False),
    (gettext_lazy("手机号码"), 13, False),
    (gettext_lazy("研讨小组"), 8, False),
    (gettext_lazy("研讨室"), 10, True),
    (gettext_lazy("备注"), 12, True),
]


def roster_rows(program, *, full: bool = False):
    """One list of cell values per enrolled trainee, in roster order. Read as plain values with
    choice labels looked up once (model instances and a get_FOO_display() per row cost the
    2,000-trainee class seconds)."""
    from accounts.models import User

    phone_of = export_masker("phone", full)
    gender = {k: str(v) for k, v in User._meta.get_field("gender").flatchoices}
    rank = {k: str(v) for k, v in User._meta.get_field("rank").flatchoices}
    values = selectors.roster(program).values_list(
        "user__full_name",
        "user__gender",
        "unit__name",
        "user__position",
        "user__rank",
        "user__phone",
        "group__name",
        "group__room",
        "roster_note",
    )
    return [
        [
            i,
            name,
            gender.get(g, g or ""),
            unit or "",
            position,
            rank.get(r, r or ""),
            phone_of(phone),
            group or "",
            room or "",
            note,
        ]
        for i, (name, g, unit, position, r, phone, group, room, note) in enumerate(values, start=1)
    ]


def _subtitle(program, count: int) -> str:
    return _("%(code)s · %(start)s — %(end)s · 共 %(n)d 人") % {
        "code": program.code,
        "start": program.start_date.strftime("%Y-%m-%d") if program.start_date else "",
        "end": program.end_date.strftime("%Y-%m-%d") if program.end_date else "",
        "n": count,
    }


def roster_filename(program, ext: str) -> str:
    return _("学员名册-%(title)s.%(ext)s") % {"title": program.title, "ext": ext}


def roster_xlsx(program, *, full: bool = False) -> bytes:
    from core.tabular import Column, Sheet, xlsx_bytes

    rows = roster_rows(program, full=full)
    printed = timezone.localtime().strftime("%Y-%m-%d %H:%M")
    sheet = Sheet(
        name=_("学员名册"),
        columns=[Column(str(h), width=w, wrap=wrap) for h, w, wrap in COLUMNS],
        rows=rows,
        title_lines=(
            _("%(title)s 学员名册") % {"title": program.title},
            _subtitle(program, len(rows)) + " · " + _("导出时间:%(t)s") % {"t": printed},
        ),
    )
    return xlsx_bytes(
        [sheet], title=_("%(title)s 学员名册") % {"title": program.title}, subject=program.code
    )


ROSTER_FONT_PT = 9
ROSTER_TAB_PX = 19  # one tab step ≈ 5 mm
# Where each column starts, in tab steps: 序号 姓名 性别 单位 职务 职级 手机号码 研讨小组 研讨室 备注
ROSTER_STOPS = [0, 2, 7, 9, 22, 32, 37, 43, 47, 51]
ROSTER_WIDTH_MM = 277  # A4 landscape inside 10 mm margins


@lru_cache(maxsize=1)
def _roster_layout() -> tuple[Grid, str]:
    origin = 1.4 * PX_PER_MM
    gap = 1.2 * PX_PER_MM
    step = ROSTER_TAB_PX * tab_scale()
    lines = [-origin] + [k * step - gap for k in ROSTER_STOPS[1:]]
    lines.append(ROSTER_WIDTH_MM * PX_PER_MM - origin)
    grid = Grid(
        tab_px=ROSTER_TAB_PX,
        stops=ROSTER_STOPS,
        lines=lines,
        origin_px=origin,
        font_pt=ROSTER_FONT_PT,
    )
    css = f"""
@page {{ size: A4 landscape; margin: 12mm 10mm 16mm 10mm; }}
h1 {{ font-size: 15pt; margin-bottom: 1mm; }}
p.sub {{ text-align: center; margin: 0 0 3mm; color: #555; }}
{grid.css("roster", ROSTER_FONT_PT)}
table.roster tr.cols th {{ background: {grid.rules()} 0 0 / 100% 100% no-repeat, #eee;
  border-top: .5pt solid {LINE_COLOR}; border-bottom: .5pt solid {LINE_COLOR}; }}
table.roster tr.cols td {{ padding-top: 1.2mm; padding-bottom: 1.2mm; }}
table.roster td {{ border-bottom: .5pt solid {LINE_COLOR}; padding-top: .9mm;
  padding-bottom: .9mm; }}
table.roster table.cells td {{ border: none; padding-top: 0; padding-bottom: 0; }}
p.foot {{ margin-top: 3mm; font-size: 8pt; color: #666; }}
"""
    return grid, css


def _cells_html(values, cls: str, sizes=None) -> str:
    """A row as real cells (the header, or a row whose values do not fit their columns)."""
    cells = []
    for i, value in enumerate(values):
        size = sizes[i] if sizes else ""
        style = f' style="font-size: {size}pt"' if size else ""
        cells.append(f'<td class="{cls}{i}"{style}>{escape(value)}</td>')
    return f'<table class="cells"><tr>{"".join(cells)}</tr></table>'


def roster_html(program) -> tuple[str, str]:
    """HTML and stylesheet of the roster PDF: one line of text per trainee."""
    grid, css = _roster_layout()
    rows = roster_rows(program)
    body = []
    for row in rows:
        values = ["" if v is None else str(v) for v in row]
        line = grid.line(values)
        if line is None:
            body.append(f"<tr><td>{_cells_html(values, 'c', grid.fit(values))}</td></tr>")
        else:
            body.append(f"<tr><td>{escape(line)}</td></tr>")
    title = _("%(title)s 学员名册") % {"title": program.title}
    printed = _("打印时间:%(t)s") % {"t": timezone.localtime().strftime("%Y-%m-%d %H:%M")}
    html = (
        f'<!doctype html><html><head><meta charset="utf-8"><title>{escape(title)}</title>'
        f"</head><body><h1>{escape(title)}</h1>"
        f'<p class="sub">{escape(_subtitle(program, len(rows)))}</p>'
        f'<table class="roster"><thead><tr class="cols"><th>'
        f"{_cells_html([str(h) for h, _w, _wrap in COLUMNS], 'h')}</th></tr></thead>"
        # tbodies of 40 rows: each paints its column rules (core.pdfgrid) over its own height
        + "".join(f"<tbody>{''.join(body[i : i + 40])}</tbody>" for i in range(0, len(body), 40))
        + "</table>"
        f'<p class="foot">{escape(printed)}</p></body></html>'
    )
    return html, css


def roster_pdf(program) -> bytes:
    html, css = roster_html(program)
    return html_to_pdf(
        html, extra_css=css, title=_("%(title)s 学员名册") % {"title": program.title}
    )
