from django.db import transaction
from django.db.models import F, Value
from django.db.models.functions import Concat, Substr

from accounts.models import OrgUnit, Role, RoleGrant, User
from core.services import audit_log


@transaction.atomic
def orgunit_move(*, unit: OrgUnit, new_parent: OrgUnit | None, by: User | None = None) -> None:
    """Move a unit (and its whole subtree) under a new parent, keeping every path consistent."""
    if new_parent is not None and new_parent.path.startswith(unit.path):
        raise ValueError("A unit cannot move into its own subtree.")
    old_path, old_depth = unit.path, unit.depth
    unit.parent = new_parent
    unit.save()
    unit.refresh_from_db()
    # the whole subtree in one UPDATE: new prefix + the rest of each path, depths shifted
    OrgUnit.objects.filter(path__startswith=old_path).exclude(pk=unit.pk).update(
        path=Concat(Value(unit.path), Substr("path", len(old_path) + 1)),
        depth=F("depth") + (unit.depth - old_depth),
    )
    audit_log(
        actor=by,
        action="orgunit.move",
        target=unit,
        before={"path": old_path},
        after={"path": unit.path},
    )


def role_grant(*, user: User, role: Role, unit: OrgUnit, by: User | None = None) -> RoleGrant:
    grant, created = RoleGrant.objects.get_or_create(user=user, role=role, unit=unit)
    if created:
        audit_log(actor=by, action="role.grant", target=user, after={"role": role, "unit": unit.pk})
    return grant


def user_update_preferences(
    *, user: User, email: str, email_notifications: bool, language: str | None = None
) -> None:
    user.email = email
    user.email_notifications = email_notifications
    fields = ["email", "email_notifications"]
    if language is not None:
        user.language = language
        fields.append("language")
    user.save(update_fields=fields)


def user_set_language(*, user: User, language: str) -> bool:
    """Remember the language a person chose (the switch, the profile). False if unknown."""
    from django.conf import settings

    if language not in {code for code, _ in settings.LANGUAGES}:
        return False
    if user.language != language:
        user.language = language
        user.save(update_fields=["language"])
    return True
