from django.urls import reverse
from django.utils.translation import gettext as _

from accounts.scoping import roles_of
from core.registry import NavItem, Panel


def nav_items(request):
    items = [NavItem(_("首页"), reverse("home"), "home", order=0)]
    if roles_of(request.user).is_admin:
        items.append(NavItem(_("系统后台"), reverse("admin:index"), "admin", order=900))
    return items


def home_panels(request):
    return [Panel("core/panels/inbox.html", {}, order=900)]
