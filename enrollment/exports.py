"""Roster exports: Excel (frozen header, sized columns) and PDF (CJK font embedded)."""

import io

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _l

from core.pdf import render_pdf
from enrollment import selectors

COLUMNS = [  # (header, width in characters)
    (_l("序号"), 6),
    (_l("姓名"), 10),
    (_l("性别"), 6),
    (_l("单位"), 28),
    (_l("职务"), 18),
    (_l("职级"), 10),
    (_l("手机号码"), 15),
    (_l("研讨小组"), 10),
    (_l("研讨室"), 14),
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
            ]
        )
    return rows


def roster_xlsx(program) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    wb = Workbook()
    ws = wb.active
    ws.title = _("学员名册")
    ws.append([str(h) for h, _w in COLUMNS])
    for cell in ws[1]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(horizontal="center")
    for row in roster_rows(program):
        ws.append(row)
    for idx, (_h, width) in enumerate(COLUMNS, start=1):
        ws.column_dimensions[get_column_letter(idx)].width = width
        # Phone numbers stay text so Excel does not turn them into 1.39E+10.
    for (cell,) in ws.iter_rows(min_row=2, min_col=7, max_col=7):
        cell.number_format = "@"
    ws.freeze_panes = "A2"
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def roster_pdf(program) -> bytes:
    return render_pdf(
        "enrollment/roster_pdf.html",
        {
            "program": program,
            "headers": [str(h) for h, _w in COLUMNS],
            "rows": roster_rows(program),
            "printed": timezone.localtime(),
        },
    )
