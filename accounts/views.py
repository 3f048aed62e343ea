from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from accounts import services
from accounts.forms import PreferencesForm
from accounts.scoping import roles_of


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
    return render(
        request,
        "accounts/profile.html",
        {"form": form, "grants": grants, "user_roles": roles_of(request.user)},
    )
