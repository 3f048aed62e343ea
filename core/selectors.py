from django.http import Http404

from core.models import GeneratedFile, Notification


def notifications_for(*, user, limit: int = 50):
    return Notification.objects.filter(user=user)[:limit]


def generated_file_get_for_user(*, user, pk) -> GeneratedFile:
    """Generated files are private to whoever asked for them (admins see all)."""
    from accounts.scoping import roles_of

    qs = GeneratedFile.objects.all()
    if not roles_of(user).is_admin:
        qs = qs.filter(owner=user)
    try:
        return qs.get(pk=pk)
    except GeneratedFile.DoesNotExist:
        raise Http404 from None
