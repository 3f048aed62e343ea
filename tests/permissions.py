"""The permission-table format every app uses (tests/<app>/permissions_table.py).

    PERMISSIONS = {
        "programs:detail": Entry(
            kwargs=lambda w: {"pk": w.program.pk},     # w is the `world` fixture
            expect={"anonymous": LOGIN, "outsider": 404, "trainee": 403, "organizer": 200, ...},
        ),
    }

Roles: anonymous, outsider, trainee, other_trainee, liaison, lecturer, manager, assistant,
venue_manager, organizer, admin. Every role must be listed (the walker checks). Status codes are
the expected response codes; LOGIN means "redirected to the login page".
"""

from collections.abc import Callable
from dataclasses import dataclass, field

LOGIN = "login"
ROLES = (
    "anonymous",
    "outsider",
    "trainee",
    "other_trainee",
    "liaison",
    "lecturer",
    "manager",
    "assistant",
    "venue_manager",
    "organizer",
    "admin",
)


@dataclass
class Entry:
    expect: dict
    kwargs: Callable = field(default=lambda w: {})
    method: str = "get"
    data: Callable | None = None  # w -> POST data
    query: str = ""  # appended to the URL, e.g. "?week=2026-03-05"
    htmx: bool = False


def everyone(code, *, anonymous=LOGIN, **overrides) -> dict:
    """Expect `code` for every logged-in role, LOGIN for anonymous, with overrides."""
    table = dict.fromkeys(ROLES, code)
    table["anonymous"] = anonymous
    table.update(overrides)
    return table
