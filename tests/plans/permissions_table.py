"""Every plans URL for every role (walked by tests/test_url_permissions.py)."""

from tests.permissions import Entry, everyone
from tests.plans.factories import item_for, plan_for

PLANNERS = {"liaison": 200, "organizer": 200, "outsider": 200, "admin": 200}


def _plan(w):
    return plan_for(w.county_a, by=w.liaison)


def _draft_item(w):
    return item_for(_plan(w)).pk


def _pending_item(w):
    return item_for(_plan(w), status="pending", title="待审核班次").pk


def _in_scope(ok, **more):
    """Plans of 青湖区: its liaison, the city organizer and the admin; nobody else sees them."""
    return everyone(404, **{"liaison": ok, "organizer": ok, "admin": ok, **more})


PERMISSIONS = {
    "plans:list": Entry(expect=everyone(403, **PLANNERS)),
    "plans:create": Entry(expect=everyone(403, **PLANNERS)),
    "plans:standards": Entry(expect=everyone(403, **PLANNERS)),
    "plans:pick_units": Entry(query="?q=T-A", expect=everyone(403, **PLANNERS)),
    "plans:detail": Entry(kwargs=lambda w: {"pk": _plan(w).pk}, expect=_in_scope(200)),
    "plans:item_create": Entry(kwargs=lambda w: {"pk": _plan(w).pk}, expect=_in_scope(200)),
    "plans:item_edit": Entry(kwargs=lambda w: {"pk": _draft_item(w)}, expect=_in_scope(200)),
    "plans:submit": Entry(
        method="post", kwargs=lambda w: {"pk": _plan(w).pk}, expect=_in_scope(302)
    ),
    "plans:item_delete": Entry(
        method="post", kwargs=lambda w: {"pk": _pending_item(w)}, expect=_in_scope(302)
    ),
    "plans:item_review": Entry(
        method="post",
        kwargs=lambda w: {"pk": _pending_item(w)},
        data=lambda w: {"decision": "approve"},
        expect=_in_scope(403, admin=302),
    ),
}
