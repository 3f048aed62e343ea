from django import forms
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.forms import UserChangeForm
from django.utils.translation import gettext_lazy as _

from accounts.models import OrgUnit, PasswordHistory, RoleGrant, User, UserSession
from accounts.services import orgunit_move
from core.admin_base import ScaleAdmin, hidden_from_admin
from core.pii import MaskedPersonalFieldsMixin

# The admin speaks the reader's language too (Django's default header is "Django 管理").
admin.site.site_header = _("讲台 管理后台")
admin.site.site_title = _("讲台 管理后台")
admin.site.index_title = _("数据管理")


class OrgUnitForm(forms.ModelForm):
    class Meta:
        model = OrgUnit
        fields = ["name", "code", "kind", "parent"]

    def clean_parent(self):
        parent = self.cleaned_data.get("parent")
        unit = self.instance
        if parent is not None and unit.pk and parent.path.startswith(unit.path):
            raise forms.ValidationError(_("不能把单位移到它自己或它的下级单位之下。"))
        return parent


@admin.register(OrgUnit)
class OrgUnitAdmin(ScaleAdmin):
    """Bounded at province scale (core.admin_base.ScaleAdmin); the parent is an autocomplete."""

    form = OrgUnitForm
    list_display = ["name", "code", "kind", "parent", "depth"]
    list_filter = ["kind"]
    search_fields = ["name", "=code"]
    autocomplete_fields = ["parent"]
    list_select_related = ["parent"]
    ordering = ["path"]  # the tree's order, served by the path index

    def save_model(self, request, obj, form, change):
        """A new parent moves the whole subtree (every path below it), through the service
        that also logs the move; saving the unit alone would leave its subtree's paths, and
        with them every organizer's scope, pointing at the old place."""
        if change and "parent" in form.changed_data:
            new_parent = obj.parent
            obj.parent_id = form.initial.get("parent")
            orgunit_move(unit=obj, new_parent=new_parent, by=request.user)
        else:
            super().save_model(request, obj, form, change)


class _GrantsOnlyByBreakGlass:
    """Roles are granted on the security administrator's page (accounts:security_roles,
    三员分立 checked and audited), not here; only a superuser (break-glass, audited at sign-in)
    may still change them in the admin."""

    def has_add_permission(self, request, obj=None):
        return request.user.is_superuser

    def has_change_permission(self, request, obj=None):
        return request.user.is_superuser

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser


class RoleGrantInline(_GrantsOnlyByBreakGlass, admin.TabularInline):
    model = RoleGrant
    extra = 0
    autocomplete_fields = ["unit"]


class MaskedUserChangeForm(MaskedPersonalFieldsMixin, UserChangeForm):
    """ID and phone numbers shown masked; empty keeps, a new number replaces (core.pii)."""


@admin.register(User)
class UserAdmin(ScaleAdmin, BaseUserAdmin):
    """150,000 accounts at province scale: no full count, 50 a page ordered by the username's
    unique index (not a sort of the table by name), the unit an autocomplete, deleting an
    account with a large history refused (core.admin_base.ScaleAdmin)."""

    list_display = ["username", "full_name", "unit", "rank", "position", "is_active"]
    list_filter = ["rank", "is_active", "is_staff"]
    # ID and phone numbers are encrypted at rest: searched whole (=), through their blind index
    search_fields = ["^username", "full_name", "=phone", "=staff_number", "=id_number"]
    ordering = ["username"]
    autocomplete_fields = ["unit"]
    list_select_related = ["unit"]
    delete_instead = _("请由系统管理员在“用户管理”中停用账号,不要在管理后台删除。")
    inlines = [RoleGrantInline]
    form = MaskedUserChangeForm
    fieldsets = (
        (None, {"fields": ("username", "password")}),
        (
            _("个人信息"),
            {
                "fields": (
                    "full_name",
                    "gender",
                    "email",
                    "phone",
                    "staff_number",
                    "id_number",
                    "unit",
                    "rank",
                    "position",
                )
            },
        ),
        (_("权限"), {"fields": ("is_active", "is_staff", "is_superuser", "groups")}),
    )
    add_fieldsets = (
        (
            None,
            {
                "classes": ("wide",),
                "fields": ("username", "full_name", "unit", "password1", "password2"),
            },
        ),
    )

    def save_model(self, request, obj, form, change):
        """A password set here (a new account, or the admin's "change password" form) is an
        issued one: the person must change it at their first sign-in."""
        if not change or "password" in getattr(form, "changed_data", ()):
            obj.must_change_password = True
        super().save_model(request, obj, form, change)

    def user_change_password(self, request, id, form_url=""):
        response = super().user_change_password(request, id, form_url)
        if request.method == "POST" and response.status_code == 302:
            User.objects.filter(pk=id).update(must_change_password=True)
        return response


@admin.register(RoleGrant)
class RoleGrantAdmin(_GrantsOnlyByBreakGlass, ScaleAdmin):
    list_display = ["user", "role", "unit"]
    list_filter = ["role"]
    autocomplete_fields = ["user", "unit"]
    list_select_related = ["user", "unit"]


@admin.register(UserSession)
class UserSessionAdmin(ScaleAdmin):
    """Read-only: a session is ended through accounts.services.session_end (the person's own
    page, a deactivation), which also ends it in the session store and audits it."""

    list_display = ["user", "ip", "created_at", "last_seen"]
    raw_id_fields = ["user"]
    list_select_related = ["user"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


# Earlier password hashes (the "not one of the last 5" rule) are shown to nobody.
hidden_from_admin(PasswordHistory)
