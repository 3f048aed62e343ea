from django.urls import reverse
from django.utils.translation import gettext as _

from core.registry import NavItem


def nav_items(request):
    # One entry (the bar is full): the record page links to the review queue and the
    # compliance list for those who may open them.
    if not request.user.is_authenticated:
        return []
    return [NavItem(_("培训档案"), reverse("credits:mine"), "credits", order=55)]
