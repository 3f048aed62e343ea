"""Roster exports, both file jobs (the Excel of a 2,000-trainee class takes seconds to write):
audited with the rows, the program and "personal data"; a large one asks for a reason
(core.exports.start_export); the Excel carries full phone numbers only when asked for with a
reason (core.pii.full_export_check)."""

from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core import services as core_services
from core.exports import start_export
from core.pii import FULL_EXPORT_PARAM, full_export_check
from enrollment import selectors
from enrollment.views.base import manager_page


def _start(request, program, *, kind: str, title: str, task, full_asked: bool = False):
    def start(reason: str):
        full = full_export_check(user=request.user, full=full_asked, reason=reason)
        params = {"program": program.pk}
        if full:
            params[FULL_EXPORT_PARAM] = True
        return core_services.generated_file_start(
            owner=request.user,
            kind=kind,
            title=title % {"t": program.title},
            params=params,
            task=task,
            args=[program.pk, full] if full_asked else [program.pk],
            rows=selectors.roster(program).count(),
            personal=True,
            scope=program.code,
            reason=reason,
        )

    return start_export(request, start, back_url=reverse("enrollment:roster", args=[program.pk]))


@manager_page
@require_POST
def export_xlsx(request, program):
    from enrollment.tasks import roster_xlsx_render

    return _start(
        request,
        program,
        kind="enrollment.roster_xlsx",
        title=_("学员名册(Excel):%(t)s"),
        task=roster_xlsx_render,
        full_asked=bool(request.POST.get(FULL_EXPORT_PARAM)),
    )


@manager_page
@require_POST
def export_pdf(request, program):
    from enrollment.tasks import roster_pdf_render

    return _start(
        request,
        program,
        kind="enrollment.roster_pdf",
        title=_("学员名册(PDF):%(t)s"),
        task=roster_pdf_render,
    )
