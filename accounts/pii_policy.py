"""Who may see a person's full ID or phone number (issue 17 item 8), answered for core.pii
through the `pii_policy` hooks (core never imports accounts).

The business administrator (organization department) sees everyone's; an organizer the people of
the units they organize; everybody their own. Liaisons, class staff, venue managers and the three
system administrators see masked values only.
"""

from accounts.scoping import roles_of


def may_unmask_any(viewer) -> bool:
    """May this viewer unmask anybody's data but their own (is the 显示 control worth showing)?"""
    roles = roles_of(viewer)
    return roles.is_admin or roles.is_organizer


def may_unmask(viewer, person) -> bool:
    if viewer.pk == person.pk:
        return True
    roles = roles_of(viewer)
    if roles.is_admin:
        return True
    path = person.unit.path if person.unit_id else None
    return bool(path) and any(path.startswith(p) for p in roles.organizer_paths)
