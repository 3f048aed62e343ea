"""Roster exports: Excel through core.tabular (formula-safe, A4 print set-up, title lines, frozen
and repeated header) and PDF (CJK font embedded, A4, header repeated, rows never split)."""

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.pdf import render_pdf
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


def roster_rows(program):
    rows = []
    for i, e in enumerate(selectors.roster(program), start=1):
        u = e.user
        rows.append(
            [
                i,
                u.full_name,
                u.get_gender_display(),
                e.unit.name if e.unit_id else "",
                u.position,
                u.get_rank_display(),
                u.phone,
                e.group.name if e.group_id else "",
                e.group.room if e.group_id else "",
                e.roster_note,
            ]
        )
    return rows


def _subtitle(program, count: int) -> str:
    return _("%(code)s · %(start)s — %(end)s · 共 %(n)d 人") % {
        "code": program.code,
        "start": program.start_date.strftime("%Y-%m-%d") if program.start_date else "",
        "end": program.end_date.strftime("%Y-%m-%d") if program.end_date else "",
        "n": count,
    }


def roster_filename(program, ext: str) -> str:
    return _("学员名册-%(title)s.%(ext)s") % {"title": program.title, "ext": ext}


def roster_xlsx(program) -> bytes:
    from core.tabular import Column, Sheet, xlsx_bytes

    rows = roster_rows(program)
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


PDF_CSS = """
html { font-size: 9pt; }
tr { break-inside: avoid; }
td.nowrap { white-space: nowrap; }
"""


def roster_pdf(program) -> bytes:
    rows = roster_rows(program)
    return render_pdf(
        "enrollment/roster_pdf.html",
        {
            "program": program,
            "headers": [str(h) for h, _w, _wrap in COLUMNS],
            "rows": rows,
            "subtitle": _subtitle(program, len(rows)),
            "printed": timezone.localtime(),
            "nowrap_cols": (1, 2, 3, 7),  # 序号, 姓名, 性别, 手机号码 never break
        },
        extra_css=PDF_CSS,
        title=_("%(title)s 学员名册") % {"title": program.title},
    )
