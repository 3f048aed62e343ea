from django.urls import reverse
from django.utils.translation import gettext as _

from core.registry import NavItem
from credits import access


def nav_items(request):
    user = request.user
    if not user.is_authenticated:
        return []
    items = [NavItem(_("培训档案"), reverse("credits:mine"), "credits", order=55)]
    if access.may_oversee(user):
        items.append(NavItem(_("学时审核"), reverse("credits:review"), "credits", order=55))
    if access.may_see_compliance(user):
        items.append(NavItem(_("学时达标"), reverse("credits:compliance"), "credits", order=55))
    return items
