from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST
from django_htmx.http import HttpResponseStopPolling

from core import registry, selectors, services
from core.errors import DomainError
from core.links import local_path
from core.models import GeneratedFile


@never_cache
@require_GET
def healthz(request):
    """200 when the database (and Redis, when configured) answer; 503 otherwise."""
    checks = {}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
        checks["database"] = "ok"
    except Exception as exc:  # any driver error means "not reachable"
        checks["database"] = f"error: {exc.__class__.__name__}"
    if settings.REDIS_URL:
        try:
            import redis

            client = redis.Redis.from_url(
                settings.REDIS_URL, socket_connect_timeout=1, socket_timeout=1
            )
            client.ping()
            checks["redis"] = "ok"
        except Exception as exc:
            checks["redis"] = f"error: {exc.__class__.__name__}"
    healthy = all(v == "ok" for v in checks.values())
    return JsonResponse(
        {"status": "ok" if healthy else "unavailable", "checks": checks},
        status=200 if healthy else 503,
    )


@login_required
def home(request):
    panels = registry.home_panels(request)
    return render(request, "core/home.html", {"panels": panels})


@login_required
def inbox(request):
    notes = selectors.notifications_for(user=request.user)
    return render(request, "core/inbox.html", {"notes": notes})


@login_required
@require_POST
def inbox_mark_read(request):
    raw = request.POST.get("id")
    services.notification_mark_read(
        user=request.user, notification_id=int(raw) if raw and raw.isdigit() else None
    )
    if request.htmx:
        notes = selectors.notifications_for(user=request.user)
        return render(request, "core/inbox.html#list", {"notes": notes})
    return redirect("inbox")


@login_required
def generated_file_status(request, pk):
    """The export's page; htmx polls its #status partial until the file is done or failed, then
    polling stops. The page links back to where the export was started."""
    gf = selectors.generated_file_get_for_user(user=request.user, pk=pk)
    context = {"gf": gf, "return_url": local_path((gf.params or {}).get("_return", ""))}
    if not request.htmx:
        return render(request, "core/generated_file.html", context)
    response = render(request, "core/generated_file.html#status", context)
    if gf.status in (GeneratedFile.Status.DONE, GeneratedFile.Status.FAILED):
        return HttpResponseStopPolling(response.content)
    return response


def _require_approver(request):
    if not registry.user_is_admin(request.user):
        raise PermissionDenied


@login_required
def generated_file_approvals(request):
    """Large personal-data exports waiting for a second approver (LECTERN_EXPORT_SECOND_APPROVER):
    the organization department's administrators, never for their own."""
    _require_approver(request)
    files = selectors.generated_files_awaiting(user=request.user)
    return render(request, "core/file_approvals.html", {"files": files})


@login_required
@require_POST
def generated_file_approve(request, pk):
    _require_approver(request)
    gf = selectors.generated_file_get_for_user(user=request.user, pk=pk)
    try:
        if request.POST.get("decision") == "refuse":
            services.generated_file_refuse(
                file_id=gf.pk, by=request.user, reason=request.POST.get("reason", "")
            )
            messages.success(request, _("已不批准该导出申请。"))
        else:
            services.generated_file_approve(file_id=gf.pk, by=request.user)
            messages.success(request, _("已批准,文件开始生成。"))
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect("generated_file_approvals")
