"""What enrollment needs to know from the apps above it, without importing them.

Imports run one way (… → enrollment → attendance → …): enrollment may not import attendance.
Attendance offers its answer here from its AppConfig.ready():

    from enrollment import hooks
    hooks.register(attended_user_ids=...)

With no app registered (enrollment used on its own) nobody has attended anything.

- attended_user_ids(program) -> set of user ids with at least one credited attendance record
  (attended under the program's leave policy) at a session of the program that is not
  cancelled (the reconciliation of who was named with who came).
"""

_registry: dict = {}

NAMES = ("attended_user_ids",)


def register(**hooks) -> None:
    unknown = set(hooks) - set(NAMES)
    if unknown:
        raise ValueError(f"unknown enrollment hooks: {sorted(unknown)}")
    _registry.update(hooks)


def attended_user_ids(program) -> set[int]:
    hook = _registry.get("attended_user_ids")
    return set(hook(program)) if hook is not None else set()
