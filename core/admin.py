"""core's models in the Django admin, bounded at province scale (core.admin_base.ScaleAdmin:
raw-id widgets for every relation, no full-table counts, 50 a page, bounded deletes). Filters are
choice fields only (a filter on a free text column would read its distinct values from the
whole table) and searches are exact or prefix matches an index serves."""

from django.contrib import admin

from core.admin_base import ScaleAdmin
from core.models import AuditLog, GeneratedFile, Notification


@admin.register(AuditLog)
class AuditLogAdmin(ScaleAdmin):
    list_display = ["created_at", "actor", "action", "target_type", "target_id", "result"]
    list_filter = ["result"]
    # exact matches: the action and target columns are indexed, the reason is not searched
    search_fields = ["=action", "=target_id"]
    raw_id_fields = ["actor"]
    list_select_related = ["actor"]
    readonly_fields = [f.name for f in AuditLog._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_view_permission(self, request, obj=None):
        """三员分立: only the audit administrator reads the audit log (their page is /audit/);
        in the admin, only the break-glass superuser, whose sign-in is itself audited."""
        return request.user.is_superuser

    def has_module_permission(self, request):
        return request.user.is_superuser


@admin.register(GeneratedFile)
class GeneratedFileAdmin(ScaleAdmin):
    list_display = ["title", "kind", "owner", "status", "progress", "created_at", "expires_at"]
    list_filter = ["status"]
    raw_id_fields = ["owner", "decided_by"]
    list_select_related = ["owner"]


@admin.register(Notification)
class NotificationAdmin(ScaleAdmin):
    list_display = ["title", "user", "kind", "created_at", "read_at"]
    search_fields = ["^title"]
    raw_id_fields = ["user"]
    list_select_related = ["user"]
