from django.urls import reverse
from django.utils.translation import gettext as _

from core.registry import NavItem, Panel


def nav_items(request):
    return [NavItem(_("首页"), reverse("home"), "home", order=0)]


def home_panels(request):
    return [Panel("core/panels/inbox.html", {}, order=900)]
