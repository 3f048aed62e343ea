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

A POST entry may also name its `effect`: `w -> a value the POST changes` (a row count, a status,
a list of values read from the database). The walker then runs each role in a savepoint rolled
back afterwards and proves that every role expected to succeed (a 2xx/3xx code) changed it and
every refused role (403, 404, LOGIN) left it as it was, so "302" cannot hide a refusal that only
redirects, nor "403" a write made before refusing.
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
    effect: Callable | None = None  # w -> a value an allowed POST changes, a refused one keeps


def succeeds(expected) -> bool:
    """Whether an expected code means the request was carried out (not refused)."""
    return expected != LOGIN and 200 <= int(expected) < 400


def everyone(code, *, anonymous=LOGIN, **overrides) -> dict:
    """Expect `code` for every logged-in role, LOGIN for anonymous, with overrides."""
    table = dict.fromkeys(ROLES, code)
    table["anonymous"] = anonymous
    table.update(overrides)
    return table
