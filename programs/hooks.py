"""What programs needs to know from the apps above it, without importing them.

Imports run one way (accounts → programs → enrollment → attendance → evaluation): programs may
not import enrollment. Enrollment offers its answers here from its AppConfig.ready():

    from programs import hooks
    hooks.register(trainees=selectors.enrolled_users, enrolled_count=selectors.enrolled_count,
                   capacity_raised=..., trainee_clashes=selectors.trainee_clashes)

Each rule lives once, in the app that owns the data; with no app registered (programs used on
its own) the answers are those of a program nobody is enrolled in.

- trainees(program) -> iterable of users enrolled in the program (notices, feeds);
- enrolled_count(program) -> int (capacity may not drop below it);
- capacity_raised(program) -> None, called inside the program lock after capacity rose;
- trainee_clashes(program, sessions_qs) -> {other_program_id: set(user_id)} of this program's
  enrolled trainees who are also enrolled in the programs of `sessions_qs` (overlapping sessions).
"""

ENROLLED = "enrolled"  # the enrolment status that seats a trainee (enrollment.Enrollment.Status)

_registry: dict = {}

NAMES = ("trainees", "enrolled_count", "capacity_raised", "trainee_clashes")


def register(**hooks) -> None:
    unknown = set(hooks) - set(NAMES)
    if unknown:
        raise ValueError(f"unknown programs hooks: {sorted(unknown)}")
    _registry.update(hooks)


def trainees(program) -> list:
    hook = _registry.get("trainees")
    return list(hook(program)) if hook is not None else []


def enrolled_count(program) -> int:
    hook = _registry.get("enrolled_count")
    return hook(program) if hook is not None else 0


def capacity_raised(program) -> None:
    hook = _registry.get("capacity_raised")
    if hook is not None:
        hook(program)


def trainee_clashes(program, sessions_qs) -> dict:
    hook = _registry.get("trainee_clashes")
    return hook(program, sessions_qs) if hook is not None else {}
