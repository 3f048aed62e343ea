"""A finished program's class archive (一期一档) as one zip: the nomination notice, the roster,
every session's sign-in sheet, the attendance summary, the evaluation summary and the completion
list, each made by the renderer its page already uses (enrollment's notice PDF and roster,
reports' sign-in sheets and summary, evaluation's summaries and completion assessment), plus an
index (目录.txt) listing the members. Members have Chinese names; zipfile writes them as UTF-8.
"""

import io
import zipfile

from django.utils import timezone
from django.utils.translation import gettext as _

from core.tabular import Column, Sheet, xlsx_bytes


def archive_ready(program) -> bool:
    """Only a finished program (or one past its end date) has an archive to make."""
    from programs.models import Program

    ended = program.end_date and program.end_date < timezone.localdate()
    return program.status in (Program.Status.COMPLETED, Program.Status.ARCHIVED) or bool(ended)


def _safe(name: str) -> str:
    return "".join(c for c in name if c not in '\\/:*?"<>|\n\r\t').strip()[:60]


def _evaluation_xlsx(program, sessions) -> bytes:
    from evaluation.selectors.evaluations import session_evaluation_summary

    rows = []
    for s in sessions:
        summary = session_evaluation_summary(session=s)
        day = timezone.localtime(s.start).strftime("%Y-%m-%d %H:%M")
        if summary["hidden"]:
            rows.append([day, s.topic, summary["n"], _("答卷不足,不公布"), "", ""])
            continue
        for ind in summary["indicators"]:
            rows.append([day, s.topic, summary["n"], str(ind.label), ind.average, ind.satisfaction])
    columns = [
        Column(_("时间"), 17),
        Column(_("课程"), 30, wrap=True),
        Column(_("答卷数"), 8),
        Column(_("指标"), 16),
        Column(_("平均分"), 8),
        Column(_("满意率(%)"), 10),
    ]
    title = f"{program.title} {_('教学评估汇总')}"
    return xlsx_bytes([Sheet(_("教学评估汇总"), columns, rows, title_lines=[title])], title=title)


def _completion_xlsx(program) -> bytes:
    from evaluation.selectors.completion import completion_assess

    rows = [
        [
            r.user.full_name,
            getattr(r.user.unit, "name", ""),
            r.attended,
            r.sessions_total,
            r.rate,
            _("结业") if r.passed else _("未结业"),
            ";".join(str(x) for x in r.reasons),
        ]
        for r in completion_assess(program=program)
    ]
    columns = [
        Column(_("姓名"), 12),
        Column(_("单位"), 24, wrap=True),
        Column(_("出勤"), 8),
        Column(_("应出勤"), 8),
        Column(_("出勤率(%)"), 10),
        Column(_("结业"), 8),
        Column(_("说明"), 36, wrap=True),
    ]
    title = f"{program.title} {_('结业名单')}"
    return xlsx_bytes([Sheet(_("结业名单"), columns, rows, title_lines=[title])], title=title)


def archive_zip(*, program, progress=lambda p: None) -> bytes:
    """The archive's bytes. Each member is made by its own renderer; the index lists them."""
    from enrollment.exports import roster_xlsx
    from enrollment.models import NominationNotice
    from reports import rendering, selectors

    sessions = selectors.program_sessions(program=program)
    members: list[tuple[str, bytes]] = []
    notice = NominationNotice.objects.filter(program=program).first()
    if notice is not None:
        from enrollment.views.notices import notice_pdf_bytes

        members.append((f"01-{_('调训通知')}.pdf", notice_pdf_bytes(notice)))
    progress(15)
    members.append((f"02-{_('学员名册')}.xlsx", roster_xlsx(program)))
    for i, s in enumerate(sessions, 1):
        day = timezone.localtime(s.start).strftime("%m%d-%H%M")
        name = f"03-{_('签到表')}/{i:02d}-{day}-{_safe(s.topic)}.pdf"
        session = selectors.session_for_report(pk=s.pk)
        members.append((name, rendering.signin_pdf(session=session)))
        progress(15 + 50 * i // max(len(sessions), 1))
    members.append((f"04-{_('考勤汇总表')}.xlsx", rendering.summary_xlsx(program=program)))
    members.append((f"05-{_('教学评估汇总')}.xlsx", _evaluation_xlsx(program, sessions)))
    members.append((f"06-{_('结业名单')}.xlsx", _completion_xlsx(program)))
    progress(90)
    index = [
        f"{program.title}({program.code}){_('培训档案')}",
        f"{_('培训时间')}:{program.start_date} — {program.end_date}",
        f"{_('生成时间')}:{timezone.localtime():%Y-%m-%d %H:%M}",
        "",
        _("目录:"),
        *[f"  {name}" for name, _content in members],
    ]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr(f"00-{_('目录')}.txt", "\r\n".join(index) + "\r\n")
        for name, content in members:
            zf.writestr(name, content)
    return buffer.getvalue()
