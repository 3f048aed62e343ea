"""The audit administrator's pages (issue 17 item 7): search the audit log and export it.

Only the audit administrator (core.audit.is_audit_admin, asked through the apps' hooks) opens
them; every export is itself audited (`audit.export`, with the filters and the row count)."""

import json
from datetime import datetime, time, timedelta

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_safe

from core import audit
from core.models import AuditLog
from core.services import audit_log_target
from core.tabular import csv_chunks

PAGE_SIZE = 50
EXPORT_MAX_ROWS = 100_000


class AuditSearchForm(forms.Form):
    actor = forms.CharField(label=gettext_lazy("操作人"), required=False, max_length=150)
    action = forms.CharField(label=gettext_lazy("操作"), required=False, max_length=80)
    target = forms.CharField(
        label=gettext_lazy("对象"),
        required=False,
        max_length=150,
        help_text=gettext_lazy("对象类型或编号,如 programs.program 或 12"),
    )
    result = forms.ChoiceField(
        label=gettext_lazy("结果"),
        required=False,
        choices=[("", gettext_lazy("全部"))] + list(AuditLog.Result.choices),
    )
    date_from = forms.DateField(
        label=gettext_lazy("起始日期"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    date_to = forms.DateField(
        label=gettext_lazy("截止日期"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )


def _json_text(value) -> str:
    return "" if value is None else json.dumps(value, ensure_ascii=False, sort_keys=True)


def _require_audit_admin(request):
    if not audit.is_audit_admin(request.user):
        raise PermissionDenied


def audit_entries(filters: dict):
    """The audit log filtered by actor (account or name), action (prefix), object (type or
    id), result and date range, newest first."""
    qs = AuditLog.objects.all()
    if actor := filters.get("actor"):
        qs = qs.filter(
            Q(actor_name__icontains=actor)
            | Q(actor__full_name__icontains=actor)
            | Q(actor__username__icontains=actor)
        )
    if action := filters.get("action"):
        qs = qs.filter(action__startswith=action)
    if target := filters.get("target"):
        qs = qs.filter(Q(target_type__icontains=target) | Q(target_id=target))
    if result := filters.get("result"):
        qs = qs.filter(result=result)
    zone = timezone.get_current_timezone()
    if day := filters.get("date_from"):
        qs = qs.filter(created_at__gte=datetime.combine(day, time.min, zone))
    if day := filters.get("date_to"):
        qs = qs.filter(created_at__lt=datetime.combine(day + timedelta(days=1), time.min, zone))
    return qs.select_related("actor").order_by("-created_at", "-id")


def _filters(request) -> tuple[AuditSearchForm, dict]:
    form = AuditSearchForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    return form, filters


@login_required
@require_safe
def audit_log_page(request):
    _require_audit_admin(request)
    form, filters = _filters(request)
    page = Paginator(audit_entries(filters), PAGE_SIZE).get_page(request.GET.get("page"))
    context = {"form": form, "page": page, "entries": page.object_list}
    if request.htmx:
        return render(request, "core/audit_log.html#results", context)
    return render(request, "core/audit_log.html", context)


@login_required
@require_safe
def audit_log_export(request):
    """The filtered audit log as CSV (core.tabular: formula-safe), recorded as `audit.export`."""
    _require_audit_admin(request)
    form, filters = _filters(request)
    qs = audit_entries(filters)
    count = min(qs.count(), EXPORT_MAX_ROWS)
    audit_log_target(
        actor=request.user,
        action="audit.export",
        target_type="core.auditlog",
        target_id="search",
        after={
            "filters": {k: str(v) for k, v in filters.items() if v},
            "rows": count,
        },
    )
    header = [
        _("时间"),
        _("操作人"),
        _("角色"),
        _("客户端地址"),
        _("客户端标识"),
        _("操作"),
        _("对象类型"),
        _("对象编号"),
        _("结果"),
        _("变更前"),
        _("变更后"),
        _("原因"),
        _("本条哈希"),
    ]

    def rows():
        for e in qs[:EXPORT_MAX_ROWS].iterator(chunk_size=2000):
            yield [
                timezone.localtime(e.created_at).strftime("%Y-%m-%d %H:%M:%S"),
                e.actor_name,
                " ".join(e.actor_roles or []),
                e.client_ip,
                e.user_agent,
                e.action,
                e.target_type,
                e.target_id,
                e.get_result_display(),
                _json_text(e.before),
                _json_text(e.after),
                e.reason,
                e.row_hash,
            ]

    response = StreamingHttpResponse(csv_chunks(header, rows()), content_type="text/csv")
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    response["Content-Disposition"] = f'attachment; filename="audit-{stamp}.csv"'
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response
