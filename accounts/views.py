from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse_lazy
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts import services, sessions
from accounts.forms import LecternPasswordResetForm, PreferencesForm, RoleGrantForm
from accounts.models import RoleGrant, UserSession
from accounts.scoping import require_security_admin, roles_of
from core.errors import DomainError
from core.services import audit_log


@login_required
def profile(request):
    form = PreferencesForm(request.POST or None, instance=request.user)
    if request.method == "POST" and form.is_valid():
        services.user_update_preferences(
            user=request.user,
            email=form.cleaned_data["email"],
            email_notifications=form.cleaned_data["email_notifications"],
            language=form.cleaned_data["language"],
        )
        messages.success(request, _("设置已保存。"))
        return redirect("accounts:profile")
    grants = request.user.role_grants.select_related("unit")
    idle = request.session.get(sessions.IDLE)
    return render(
        request,
        "accounts/profile.html",
        {
            "form": form,
            "grants": grants,
            "user_roles": roles_of(request.user),
            "idle_minutes": idle // 60 if idle else None,
            "policy": {
                "trainee_days": settings.LECTERN_SESSION_IDLE_MINUTES_TRAINEE // (24 * 60),
                "admin_minutes": settings.LECTERN_SESSION_IDLE_MINUTES_ADMIN,
                "staff_minutes": settings.LECTERN_SESSION_IDLE_MINUTES,
            },
        },
    )


# --- Passwords ---------------------------------------------------------------------------------


class PasswordChangeView(auth_views.PasswordChangeView):
    """Change one's own password (also the forced change after an issued or expired one).
    Django keeps this session and ends every other one (the session hash changes)."""

    template_name = "registration/lectern_password_change.html"
    success_url = reverse_lazy("accounts:profile")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["forced"] = self.request.user.must_change_password
        context["expired"] = bool(self.request.session.get(sessions.PW_EXPIRED))
        context["max_age_days"] = settings.LECTERN_ADMIN_PASSWORD_MAX_AGE_DAYS
        return context

    def form_valid(self, form):
        response = super().form_valid(form)
        services.password_changed_by_user(user=form.user, request=self.request, how="change")
        messages.success(self.request, _("密码已修改,您在其他设备上的登录已失效。"))
        return response


class PasswordResetView(auth_views.PasswordResetView):
    form_class = LecternPasswordResetForm
    template_name = "registration/lectern_password_reset.html"
    email_template_name = "registration/lectern_password_reset_email.txt"
    subject_template_name = "registration/lectern_password_reset_subject.txt"
    success_url = reverse_lazy("accounts:password_reset_done")

    def form_valid(self, form):
        email = form.cleaned_data["email"]
        for user in form.get_users(email):
            audit_log(
                actor=None,
                action="password.reset_requested",
                target=user,
                after=services.client_facts(self.request),
            )
        return super().form_valid(form)


class PasswordResetDoneView(auth_views.PasswordResetDoneView):
    template_name = "registration/lectern_password_reset_done.html"


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    template_name = "registration/lectern_password_reset_confirm.html"
    success_url = reverse_lazy("accounts:password_reset_complete")

    def form_valid(self, form):
        response = super().form_valid(form)
        services.password_changed_by_user(user=form.user, request=self.request, how="reset")
        return response


class PasswordResetCompleteView(auth_views.PasswordResetCompleteView):
    template_name = "registration/lectern_password_reset_complete.html"


# --- My sessions -------------------------------------------------------------------------------


@login_required
def my_sessions(request):
    rows = services.sessions_live(request.user)
    return render(
        request,
        "accounts/sessions.html",
        {"rows": rows, "current_key": request.session.session_key},
    )


@login_required
@require_POST
def my_session_end(request, pk):
    row = get_object_or_404(UserSession, pk=pk, user=request.user)
    current = row.session_key == request.session.session_key
    services.session_end(session=row, by=request.user, why="ended_by_user")
    if current:
        return redirect("login")
    messages.success(request, _("已结束该登录会话。"))
    return redirect("accounts:sessions")


# --- Security administrator --------------------------------------------------------------------


@login_required
@require_security_admin
def security_roles(request):
    form = RoleGrantForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.role_grant(
                user=form.user,
                role=form.cleaned_data["role"],
                unit=form.cleaned_data["unit"],
                by=request.user,
            )
        except DomainError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("已授予角色。"))
            return redirect("accounts:security_roles")
    grants = RoleGrant.objects.select_related("user", "unit").order_by("role", "user__full_name")
    return render(request, "accounts/security_roles.html", {"form": form, "grants": grants})


@login_required
@require_security_admin
@require_POST
def security_role_revoke(request, pk):
    grant = get_object_or_404(RoleGrant.objects.select_related("user"), pk=pk)
    if grant.user_id == request.user.pk:
        messages.error(request, _("不能撤销本人的角色,请由另一名安全管理员办理。"))
    else:
        services.role_revoke(grant=grant, by=request.user)
        messages.success(request, _("已撤销角色。"))
    return redirect("accounts:security_roles")


@login_required
@require_security_admin
def security_lockouts(request):
    from datetime import timedelta

    from axes.models import AccessAttempt
    from django.utils import timezone

    # the lockouts still in force (axes keeps older attempts until its own cleanup)
    since = timezone.now() - timedelta(hours=settings.AXES_COOLOFF_TIME)
    attempts = AccessAttempt.objects.filter(
        failures_since_start__gte=settings.AXES_FAILURE_LIMIT, attempt_time__gte=since
    ).order_by("-attempt_time")[:200]
    return render(
        request,
        "accounts/security_lockouts.html",
        {"attempts": attempts, "cooloff_minutes": int(settings.AXES_COOLOFF_TIME * 60)},
    )


@login_required
@require_security_admin
@require_POST
def security_lockout_release(request, pk):
    from axes.models import AccessAttempt

    attempt = get_object_or_404(AccessAttempt, pk=pk)
    services.lockout_release(attempt=attempt, by=request.user)
    messages.success(request, _("已解除锁定。"))
    return redirect("accounts:security_lockouts")


# --- Second factor -----------------------------------------------------------------------------


def _next(request, default="home"):
    from django.utils.http import url_has_allowed_host_and_scheme

    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    from django.urls import reverse

    return reverse(default)


@login_required
def otp_setup(request):
    """Enrol an authenticator app: the QR (otpauth://), a code from the app to confirm, then the
    recovery codes, shown once."""
    from django_otp import login as otp_login

    from accounts import otp

    device = otp.pending_device(request.user)
    error = ""
    if request.method == "POST":
        codes = otp.otp_enrol_confirm(
            user=request.user,
            device=device,
            token=request.POST.get("token", ""),
            facts=services.client_facts(request),
        )
        if codes is not None:
            otp_login(request, device)
            return render(
                request,
                "accounts/otp_codes.html",
                {"codes": codes, "next": _next(request, "accounts:profile")},
            )
        error = _("验证码不正确,请核对手机上显示的 6 位数字后重试。")
    return render(
        request,
        "accounts/otp_setup.html",
        {
            "qr": otp.qr_data_uri(device),
            "secret": otp.secret_text(device),
            "has_device": otp.has_device(request.user),
            "error": error,
            "next": request.GET.get("next", request.POST.get("next", "")),
        },
    )


@login_required
def otp_verify(request):
    """The sign-in step after the password: a code from the authenticator or a recovery code."""
    from django_otp import login as otp_login

    from accounts import otp

    if not otp.has_device(request.user):
        return redirect("accounts:otp_setup")
    error = ""
    if request.method == "POST":
        device = otp.otp_verify(
            user=request.user,
            token=request.POST.get("token", ""),
            facts=services.client_facts(request),
        )
        if device is not None:
            otp_login(request, device)
            return redirect(_next(request))
        error = _("验证码不正确或已使用,请重试。")
    return render(
        request,
        "accounts/otp_verify.html",
        {"error": error, "next": request.GET.get("next", request.POST.get("next", ""))},
    )


@login_required
@require_security_admin
@require_POST
def security_otp_reset(request):
    """A lost phone: the security administrator removes a person's second factor; they enrol
    again at their next sign-in (audited)."""
    from accounts import otp
    from accounts.models import User

    user = User.objects.filter(username=request.POST.get("username", "").strip()).first()
    if user is None:
        messages.error(request, _("没有这个用户名。"))
    elif user.pk == request.user.pk:
        messages.error(request, _("不能重置本人的两步验证,请由另一名安全管理员办理。"))
    else:
        otp.otp_reset(user=user, by=request.user)
        messages.success(request, _("已重置该用户的两步验证,其下次登录时须重新设置。"))
    return redirect("accounts:security_roles")
