from django.utils.functional import SimpleLazyObject

from accounts.scoping import roles_of
from core import registry
from core.models import Notification


def lectern(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav_items": [], "unread_count": 0}
    return {
        "roles": SimpleLazyObject(lambda: roles_of(user)),
        "nav_items": SimpleLazyObject(lambda: registry.nav_items(request)),
        "unread_count": SimpleLazyObject(
            lambda: Notification.objects.filter(user=user, read_at__isnull=True).count()
        ),
    }
