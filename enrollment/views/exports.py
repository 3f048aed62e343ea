"""Roster exports: the Excel file at once, the PDF as a file job."""

from django.http import HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core import services as core_services
from enrollment import exports
from enrollment.views.base import manager_page

# ---- exports ---------------------------------------------------------------------------------


@manager_page
def export_xlsx(request, program):
    from django.utils.http import content_disposition_header

    from core.files import safe_filename

    response = HttpResponse(
        exports.roster_xlsx(program),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    filename = safe_filename(exports.roster_filename(program, "xlsx"))
    response["Content-Disposition"] = content_disposition_header(True, filename)
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


@manager_page
@require_POST
def export_pdf(request, program):
    from enrollment.tasks import roster_pdf_render

    gf = core_services.generated_file_start(
        owner=request.user,
        kind="enrollment.roster_pdf",
        title=_("学员名册(PDF):%(t)s") % {"t": program.title},
        params={"program": program.pk},
        task=roster_pdf_render,
        args=[program.pk],
    )
    return redirect("generated_file", gf.pk)
