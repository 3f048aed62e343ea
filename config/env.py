"""Strict readers for settings taken from the environment.

Every helper fails loudly on a value it cannot understand, so a typo in a
deployment shows at start-up and not as odd behaviour later.
"""

import os

from django.core.exceptions import ImproperlyConfigured

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def env_str(name: str, default: str | None = None, *, required: bool = False) -> str | None:
    value = os.environ.get(name)
    if value is None or value == "":
        if required:
            raise ImproperlyConfigured(f"Environment variable {name} is required.")
        return default
    return value


def env_bool(name: str, default: bool = False) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name}={raw!r} is not a boolean (use 1/0, true/false, yes/no).")


def env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={raw!r} is not an integer.") from None


def env_list(name: str, default: list[str] | None = None) -> list[str]:
    raw = os.environ.get(name)
    if raw is None:
        return list(default or [])
    return [item.strip() for item in raw.split(",") if item.strip()]


def env_choice(name: str, choices: tuple[str, ...], default: str) -> str:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    if raw not in choices:
        raise ImproperlyConfigured(f"{name}={raw!r} must be one of {', '.join(choices)}.")
    return raw


def env_days(name: str) -> dict[str, int | None]:
    """Per-kind day counts, e.g. ``leave_attachments=365,generated_files=7,notifications=keep``
    ("keep" = never purged). Kinds not named keep their defaults (core.retention)."""
    out: dict[str, int | None] = {}
    for item in env_list(name):
        kind, sep, days = item.partition("=")
        kind, days = kind.strip(), days.strip().lower()
        if not sep or not kind:
            raise ImproperlyConfigured(f"{name}: {item!r} is not kind=days.")
        if days == "keep":
            out[kind] = None
            continue
        try:
            out[kind] = int(days)
        except ValueError:
            raise ImproperlyConfigured(f"{name}: {item!r} needs a number of days.") from None
        if out[kind] < 1:
            raise ImproperlyConfigured(f"{name}: {item!r} must be at least 1 day.")
    return out
