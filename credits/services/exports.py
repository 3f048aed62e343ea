"""The training record as files: the printable PDF (official style, A4) and the Excel workbook
(core.tabular), both made by a file job from `credits.selectors.record_data`, so they show what
the page shows."""

from django.utils import timezone
from django.utils.translation import gettext as _

from core.numbers import round_hours
from core.pdf import render_pdf
from core.tabular import Column, Sheet, xlsx_bytes
from credits.selectors import record_data


def record_filename(cadre, year: int, ext: str) -> str:
    return f"{_('培训档案')}-{cadre.full_name}-{year}.{ext}"


def record_rows(cadre, year: int) -> int:
    """How many lines the files list (for the export audit)."""
    data = record_data(cadre=cadre, year=year)
    return (
        len(data["sessions"]) + len(data["taught"]) + sum(len(e) for _l, e in data["by_category"])
    )


def record_pdf(*, cadre, year: int) -> bytes:
    data = record_data(cadre=cadre, year=year)
    return render_pdf(
        "credits/pdf/record.html",
        {"cadre": cadre, "year": year, "printed": timezone.localdate(), **data},
        title=f"{_('干部教育培训档案')} · {cadre.full_name} · {year}",
    )


def record_xlsx(*, cadre, year: int) -> bytes:
    data = record_data(cadre=cadre, year=year)
    p = data["progress"]
    head = [
        f"{_('干部教育培训档案')} · {cadre.full_name} · {year}",
        f"{cadre.unit.name if cadre.unit_id else ''} · {cadre.get_rank_display() or '—'}",
    ]
    summary = [
        (_("本年度学时"), p.year_total, p.need.annual_hours, p.annual_missing),
        (_("五年累计学时"), p.window_total, p.window_due, p.window_missing),
        (_("网络学习学时"), p.online_total, p.need.online_hours or None, p.online_missing),
    ]
    if p.catch_up_required:
        summary.append(
            (_("提拔后一年内补足"), p.catch_up_done, p.catch_up_required, p.catch_up_missing)
        )
    entries = [
        (
            label,
            e.start_date,
            e.end_date,
            e.title,
            e.get_kind_display(),
            e.organizer_name,
            e.hours,
            e.get_status_display(),
        )
        for label, rows in data["by_category"]
        for e in rows
    ]
    sessions = [
        (
            timezone.localtime(r.session.start).date(),
            r.session.program.title,
            r.session.topic,
            r.get_status_display(),
            r.session.credit_hours,
            round_hours(r.earned),
        )
        for r in data["sessions"]
    ]
    number = "0.0"
    sheets = [
        Sheet(
            name=_("完成情况"),
            title_lines=head,
            columns=[
                Column(_("项目"), 18),
                Column(_("已完成"), 10, number_format=number),
                Column(_("要求"), 10, number_format=number),
                Column(_("尚差"), 10, number_format=number),
            ],
            rows=summary + [(label, h, None, None) for label, h in data["kinds"]],
        ),
        Sheet(
            name=_("登记的学时记录"),
            title_lines=head,
            landscape=True,
            columns=[
                Column(_("类别"), 8),
                Column(_("开始日期"), 12),
                Column(_("结束日期"), 12),
                Column(_("名称"), 36, wrap=True),
                Column(_("来源"), 12),
                Column(_("举办单位"), 20, wrap=True),
                Column(_("学时"), 8, number_format=number),
                Column(_("状态"), 12),
            ],
            rows=entries,
        ),
        Sheet(
            name=_("讲台课程"),
            title_lines=head,
            landscape=True,
            columns=[
                Column(_("日期"), 12),
                Column(_("培训班"), 30, wrap=True),
                Column(_("专题"), 30, wrap=True),
                Column(_("考勤"), 10),
                Column(_("课程学时"), 10, number_format=number),
                Column(_("认定学时"), 10, number_format=number),
            ],
            rows=sessions,
        ),
    ]
    return xlsx_bytes(sheets, title=head[0], subject=_("培训档案"))
