from django.urls import reverse
from django.utils.functional import SimpleLazyObject
from django.utils.translation import gettext as _

from core.models import Notification
from core.registry import NavItem, Panel


def nav_items(request):
    return [NavItem(_("首页"), reverse("home"), "home", order=0)]


def home_panels(request):
    latest = SimpleLazyObject(
        lambda: list(Notification.objects.filter(user=request.user, read_at__isnull=True)[:3])
    )
    return [Panel("core/panels/inbox.html", {"latest": latest}, order=900)]
