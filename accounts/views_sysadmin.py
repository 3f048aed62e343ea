"""The system administrator's pages (三员分立, issue 17 item 5): accounts (list, create with an
issued password, deactivate), the unit tree (browse, add, edit), the security settings in force
(read-only; the security administrator sees them too) and backups (what to back up, how, and
when the last backup ran). The system administrator grants no roles (the security
administrator's page does) and reads no audit log (the audit administrator's page does); every
change here is audited."""

import json
from datetime import datetime, timedelta
from pathlib import Path

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Q
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts import services
from accounts.models import OrgUnit, User
from accounts.scoping import require_system_admin, require_system_or_security_admin
from core.errors import DomainError

PAGE = 50


def _page(qs, request):
    """One page of `qs` without counting the table: PAGE rows and whether more follow."""
    try:
        number = max(1, int(request.GET.get("page", "1")))
    except ValueError:
        number = 1
    rows = list(qs[(number - 1) * PAGE : number * PAGE + 1])
    return {"rows": rows[:PAGE], "number": number, "has_next": len(rows) > PAGE}


@login_required
@require_system_admin
def users(request):
    q = " ".join(request.GET.get("q", "").split())[:60]
    qs = User.objects.select_related("unit").order_by("username")
    if q:
        qs = qs.filter(
            Q(username__istartswith=q) | Q(full_name__contains=q) | Q(unit__code__iexact=q)
        )
    return render(request, "accounts/sysadmin_users.html", {"q": q, "page": _page(qs, request)})


@login_required
@require_system_admin
def user_new(request):
    values = {
        k: request.POST.get(k, "").strip() for k in ("username", "full_name", "unit", "email")
    }
    errors = {}
    if request.method == "POST":
        unit = OrgUnit.objects.filter(code=values["unit"]).first()
        if not values["username"]:
            errors["username"] = _("请填写用户名。")
        if not values["full_name"]:
            errors["full_name"] = _("请填写姓名。")
        if unit is None:
            errors["unit"] = _("没有这个单位编码。")
        if not errors:
            try:
                user = services.user_create(
                    username=values["username"],
                    full_name=values["full_name"],
                    unit=unit,
                    email=values["email"],
                    password=request.POST.get("password", ""),
                    by=request.user,
                )
            except DomainError as exc:
                errors[exc.field or "username"] = exc.message
            else:
                messages.success(
                    request,
                    _("账号 %(u)s 已创建;首次登录须修改密码。角色由安全管理员授予。")
                    % {"u": user.username},
                )
                return redirect("accounts:sysadmin_users")
    return render(request, "accounts/sysadmin_user_new.html", {"v": values, "errors": errors})


@login_required
@require_system_admin
@require_POST
def user_active(request, pk):
    user = get_object_or_404(User, pk=pk)
    active = request.POST.get("active") == "1"
    try:
        services.user_set_active(user=user, active=active, by=request.user)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            (_("账号 %(u)s 已启用。") if active else _("账号 %(u)s 已停用,其登录已全部结束。"))
            % {"u": user.username},
        )
    return redirect(request.POST.get("next") or "accounts:sysadmin_users")


@login_required
@require_system_admin
def units(request):
    """One level of the tree at a time (the province has thousands of units): the children of
    `?parent=` (the top when none), with the path above it."""
    parent = None
    if request.GET.get("parent", "").isdigit():
        parent = get_object_or_404(OrgUnit, pk=int(request.GET["parent"]))
    children = OrgUnit.objects.filter(parent=parent).order_by("code")
    return render(
        request,
        "accounts/sysadmin_units.html",
        {
            "parent": parent,
            "trail": list(parent.ancestors()) if parent else [],
            "page": _page(children, request),
            "kinds": OrgUnit.Kind.choices,
        },
    )


def _unit_back(unit_parent_id):
    url = redirect("accounts:sysadmin_units")
    if unit_parent_id:
        url["Location"] += f"?parent={unit_parent_id}"
    return url


@login_required
@require_system_admin
@require_POST
def unit_new(request):
    parent_id = request.POST.get("parent", "")
    parent = get_object_or_404(OrgUnit, pk=int(parent_id)) if parent_id.isdigit() else None
    name = request.POST.get("name", "").strip()
    if not name:
        messages.error(request, _("请填写单位名称。"))
        return _unit_back(parent and parent.pk)
    try:
        unit = services.orgunit_create(
            name=name,
            code=request.POST.get("code", ""),
            kind=request.POST.get("kind", ""),
            parent=parent,
            by=request.user,
        )
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("已添加单位 %(n)s。") % {"n": unit.name})
    return _unit_back(parent and parent.pk)


@login_required
@require_system_admin
@require_POST
def unit_edit(request, pk):
    unit = get_object_or_404(OrgUnit, pk=pk)
    name = request.POST.get("name", "").strip()
    if not name:
        messages.error(request, _("请填写单位名称。"))
        return _unit_back(unit.parent_id)
    try:
        services.orgunit_update(
            unit=unit,
            name=name,
            code=request.POST.get("code", unit.code),
            kind=request.POST.get("kind", unit.kind),
            by=request.user,
        )
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("已保存单位 %(n)s。") % {"n": unit.name})
    return _unit_back(unit.parent_id)


def _policy_rows():
    """(label, value) of the security policy in force, read from the settings."""
    from core import retention
    from core.audit import retention_days

    s = settings
    yes, no = _("是"), _("否")
    rows = [
        (_("密码最短长度 / 字符类别"), _("8 位,4 类中至少 3 类")),
        (_("不得与最近几次密码相同"), s.LECTERN_PASSWORD_HISTORY),
        (_("管理员密码有效期(天)"), s.LECTERN_ADMIN_PASSWORD_MAX_AGE_DAYS),
        (_("连续登录失败锁定(次 / 分钟)"), f"{s.AXES_FAILURE_LIMIT} / {_minutes(s)}"),
        (_("第二因素(TOTP)强制启用"), yes if s.LECTERN_OTP_ENFORCED else no),
        (_("空闲超时(分钟):工作人员 / 管理员"), _idle(s)),
        (_("会话最长时间(小时)"), s.LECTERN_SESSION_ABSOLUTE_HOURS),
        (_("须填写导出原因的个人信息条数"), f"> {s.LECTERN_EXPORT_REASON_ROWS}"),
        (_("大量导出须第二人审批"), yes if s.LECTERN_EXPORT_SECOND_APPROVER else no),
        (_("下载链接有效期(小时)"), s.LECTERN_EXPORT_LINK_HOURS),
        (_("审计日志在线保存(天)"), retention_days()),
        (_("上传文件大小上限(MB)"), s.LECTERN_UPLOAD_MAX_BYTES // (1024 * 1024)),
        (_("反向代理层数"), s.LECTERN_PROXY_COUNT),
    ]
    for kind, days in retention.policy().items():
        rows.append((_("保存期限(天):%(k)s") % {"k": kind}, days if days else _("长期保存")))
    return rows


def _minutes(s):
    cooloff = s.AXES_COOLOFF_TIME
    hours = cooloff.total_seconds() / 3600 if isinstance(cooloff, timedelta) else float(cooloff)
    return int(hours * 60)


def _idle(s):
    return f"{s.LECTERN_SESSION_IDLE_MINUTES} / {s.LECTERN_SESSION_IDLE_MINUTES_ADMIN}"


@login_required
@require_system_or_security_admin
def system_settings(request):
    """The security settings in force, read-only: they come from the deployment's environment
    (config/settings.py), so a change is a deployment step, never a click here."""
    return render(request, "accounts/sysadmin_settings.html", {"rows": _policy_rows()})


def backup_status() -> dict:
    """The last backup as the backup job recorded it in LECTERN_BACKUP_STATUS_FILE (JSON:
    {"finished_at": ISO time, "ok": bool, "what": text}); overdue after 26 hours."""
    path = getattr(settings, "LECTERN_BACKUP_STATUS_FILE", "")
    if not path:
        return {"configured": False}
    try:
        data = json.loads(Path(path).read_text())
        finished = datetime.fromisoformat(data["finished_at"])
    except (OSError, ValueError, KeyError, TypeError):
        return {"configured": True, "missing": True, "path": path}
    if timezone.is_naive(finished):
        finished = timezone.make_aware(finished)
    return {
        "configured": True,
        "path": path,
        "finished_at": finished,
        "ok": bool(data.get("ok")),
        "what": str(data.get("what", ""))[:300],
        "overdue": timezone.now() - finished > timedelta(hours=26),
    }


@login_required
@require_system_admin
def backups(request):
    return render(request, "accounts/sysadmin_backups.html", {"status": backup_status()})
