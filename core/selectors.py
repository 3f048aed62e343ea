from django.http import Http404

from core.models import GeneratedFile, Notification


def notifications_for(*, user, limit: int = 50):
    return Notification.objects.filter(user=user)[:limit]


def generated_files_awaiting(*, user, limit: int = 100):
    """Exports waiting for a second approver, oldest first, none of the user's own."""
    return (
        GeneratedFile.objects.filter(status=GeneratedFile.Status.AWAITING)
        .exclude(owner=user)
        .select_related("owner", "owner__unit")
        .order_by("created_at")[:limit]
    )


def generated_file_get_for_user(*, user, pk) -> GeneratedFile:
    """Generated files are private to whoever asked for them (admins see all)."""
    from core.registry import user_is_admin

    qs = GeneratedFile.objects.all()
    if not user_is_admin(user):
        qs = qs.filter(owner=user)
    try:
        gf = qs.get(pk=pk)
    except GeneratedFile.DoesNotExist:
        raise Http404 from None
    if gf.status == GeneratedFile.Status.DONE and not _still_allowed(user, gf):
        raise Http404  # e.g. the owner has since lost access to the program the file is about
    return gf


def _still_allowed(user, gf: GeneratedFile) -> bool:
    """Ask the app that made the file (`<app>/files.py: can_access(user=, generated_file=)`,
    the app being the first part of `kind`) whether the user may still see its data.

    A file no app vouches for (a kind without an app prefix, an app without `files.py`) is not
    served: files hold personal data, and an app that forgot its check must not leak them to
    someone who has since lost access."""
    import importlib

    from django.conf import settings

    label = gf.kind.split(".", 1)[0]
    if "." not in gf.kind or label not in settings.LECTERN_APPS:
        return False
    try:
        module = importlib.import_module(f"{label}.files")
    except ModuleNotFoundError as exc:
        if exc.name != f"{label}.files":
            raise
        return False
    check = getattr(module, "can_access", None)
    return check is not None and check(user=user, generated_file=gf)
