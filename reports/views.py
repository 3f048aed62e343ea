from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.scoping import require_admin, require_organizer
from core.errors import DomainError
from core.exports import start_export
from core.models import GeneratedFile
from reports import access, charts, rendering, selectors, services
from reports.forms import PreferencesForm, StatisticsFilterForm


@login_required
def index(request):
    """Program managers' entry: the programs they may export."""
    if not access.may_export_anything(request.user):
        return render(request, "reports/index.html", {"programs": [], "none": True})
    programs = access.programs_managed_by(request.user).order_by("-start_date", "code")[:100]
    return render(request, "reports/index.html", {"programs": programs})


@login_required
def program_exports(request, pk):
    program = access.program_for_export(user=request.user, pk=pk)
    sessions = selectors.program_sessions(program=program)
    for s in sessions:
        s.local_start = timezone.localtime(s.start)
    files = access.exports_of(user=request.user, program=program)
    return render(
        request,
        "reports/program_exports.html",
        {
            "program": program,
            "sessions": sessions,
            "files": files,
            "archive_ready": rendering.archive_ready(program),
        },
    )


@login_required
@require_POST
def program_export_request(request, pk):
    program = access.program_for_export(user=request.user, pk=pk)
    kind = request.POST.get("kind", "")
    back = reverse("reports:program_exports", args=[program.pk])

    def start(reason):
        session = None
        if kind.startswith("signin"):
            session = access.session_for_export(
                user=request.user, pk=request.POST.get("session"), program=program
            )
        elif not kind.startswith("summary") and kind != "archive_zip":
            raise DomainError(_("未知的报表类型。"))
        gf = services.export_request(
            kind=kind, by=request.user, program=program, session=session, reason=reason
        )
        return _after_request(request, gf)

    return start_export(request, start, back_url=back)


def _after_request(request, gf):
    gf.refresh_from_db(fields=["status", "error"])
    if gf.status == GeneratedFile.Status.FAILED:
        messages.error(request, gf.error)
    return redirect("generated_file", pk=gf.pk)


@login_required
def program_csv(request, pk):
    """Every attendance record of the program as CSV, streamed with flat memory."""
    from core.services import export_record

    program = access.program_for_export(user=request.user, pk=pk)
    title = f"{program.title}-{_('考勤记录')}"

    def start(reason):
        export_record(
            actor=request.user,
            kind="reports.attendance_csv",
            title=title,
            rows=selectors.enrolled_count(program=program),
            personal=True,
            scope=program.code,
            reason=reason,
            params={"program_id": program.pk},
        )
        response = StreamingHttpResponse(
            rendering.attendance_csv_lines(program=program), content_type=rendering.CSV_TYPE
        )
        return _attachment(response, f"{title}.csv")

    return start_export(
        request, start, back_url=reverse("reports:program_exports", args=[program.pk])
    )


def _attachment(response, filename: str):
    """A download with a UTF-8 (RFC 5987) Chinese file name, as core.files.serve_file sends."""
    from core.files import safe_filename

    response["Content-Disposition"] = content_disposition_header(True, safe_filename(filename))
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
def trainee_record(request, pk):
    """The training record is the credits app's one record (个人培训档案): it checks access."""
    return redirect("credits:record", pk=pk)


@login_required
@require_organizer
def trainee_search(request):
    """Find a person and open their training record (admins: everyone; organizers: the
    people of the units they organize). The results are a partial for htmx."""
    q = request.GET.get("q", "").strip()
    people = selectors.trainees_search(user=request.user, q=q)
    context = {"q": q, "people": people}
    if request.htmx:
        return render(request, "reports/trainee_search.html#results", context)
    return render(request, "reports/trainee_search.html", context)


@login_required
def my_record(request):
    return redirect("credits:mine")


@login_required
@require_POST
def trainee_export_request(request, pk):
    """The record's PDF and workbook come from the credits app (its file views check access)."""
    fmt = "xlsx" if request.POST.get("kind") == "record_xlsx" else "pdf"
    return redirect(f"credits:record_{fmt}", pk=pk)


def _filters(request) -> tuple[StatisticsFilterForm, selectors.StatsFilters]:
    form = StatisticsFilterForm(request.GET or None, years=selectors.statistics_years())
    year = timezone.localdate().year
    unit = level = rank = None
    if form.is_bound and form.is_valid():
        year = int(form.cleaned_data["year"] or year)
        unit = form.cleaned_data["unit"]
        level = form.cleaned_data["level"]
        rank = form.cleaned_data["rank"]
    return form, selectors.StatsFilters(year=year, unit=unit, level=level or "", rank=rank or "")


@login_required
@require_admin
def statistics(request):
    form, filters = _filters(request)
    stats = selectors.statistics(filters=filters)
    context = {
        "form": form,
        "stats": stats,
        "charts": _charts(stats),
        "query": request.GET.urlencode(),
    }
    if request.htmx:
        return render(request, "reports/statistics.html#results", context)
    return render(request, "reports/statistics.html", context)


def _charts(stats) -> dict:
    return {
        "levels": charts.vertical(
            _("各级别举办班次"), [(r["label"], r["programs"]) for r in stats["levels"]]
        ),
        "months": charts.vertical(
            _("各月培训人次"),
            [(f"{m['month']}月", m["trainee_times"]) for m in stats["months"]],
            color=1,
        ),
        "units": charts.horizontal(
            _("各单位出勤率"),
            [(r["unit"].name, r["attendance_rate"]) for r in stats["units"]],
            maximum=100,
        ),
        "compliance": charts.horizontal(
            _("各职级学时达标率"),
            [(r["label"], r["compliance_rate"]) for r in stats["ranks"]],
            maximum=100,
            color=3,
        ),
    }


@login_required
@require_admin
def statistics_xlsx(request):
    _form, filters = _filters(request)
    stats = selectors.statistics(filters=filters)
    response = HttpResponse(
        rendering.statistics_xlsx(stats=stats), content_type=rendering.XLSX_TYPE
    )
    return _attachment(response, f"{rendering.statistics_title(filters)}.xlsx")


@login_required
def preferences(request):
    from reports.models import ReminderKind, ReminderPreference

    disabled = set(
        ReminderPreference.objects.filter(user=request.user, enabled=False).values_list(
            "kind", flat=True
        )
    )
    if request.method == "POST":
        form = PreferencesForm(request.POST)
        if form.is_valid():
            services.reminder_preferences_set(
                user=request.user, enabled_kinds=set(form.cleaned_data["kinds"])
            )
            messages.success(request, _("提醒设置已保存。"))
            return redirect("reports:preferences")
    else:
        form = PreferencesForm(
            initial={"kinds": [k for k in ReminderKind.values if k not in disabled]}
        )
    return render(request, "reports/preferences.html", {"form": form})
