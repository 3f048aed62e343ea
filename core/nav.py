from django.urls import reverse
from django.utils.functional import SimpleLazyObject
from django.utils.translation import gettext as _

from core.models import Notification
from core.registry import NavItem, Panel


def nav_items(request):
    from core.exports import second_approver_required
    from core.registry import user_is_admin

    items = [NavItem(_("首页"), reverse("home"), "home", order=0)]
    if second_approver_required() and user_is_admin(request.user):
        items.append(
            NavItem(_("导出审批"), reverse("generated_file_approvals"), "file_approvals", order=890)
        )
    return items


def home_panels(request):
    latest = SimpleLazyObject(
        lambda: list(Notification.objects.filter(user=request.user, read_at__isnull=True)[:3])
    )
    return [Panel("core/panels/inbox.html", {"latest": latest}, order=900)]
