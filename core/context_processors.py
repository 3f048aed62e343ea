from django.utils.functional import SimpleLazyObject

from core import registry
from core.models import Notification


def lectern(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav_items": [], "unread_count": 0}
    nav = SimpleLazyObject(lambda: registry.nav_items(request))
    return {
        **registry.shell_context(request),  # e.g. accounts adds `roles`
        "nav_items": nav,
        "nav_active_url": SimpleLazyObject(lambda: active_nav_url(request.path, nav)),
        "unread_count": SimpleLazyObject(
            lambda: Notification.objects.filter(user=user, read_at__isnull=True).count()
        ),
    }


def active_nav_url(path: str, items) -> str:
    """The nav entry whose URL is the longest prefix of the current path ("/" only on itself)."""
    matches = [i.url for i in items if path == i.url or (i.url != "/" and path.startswith(i.url))]
    return max(matches, key=len, default="")
