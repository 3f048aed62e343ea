"""What programs needs to know from the apps above it, without importing them.

Imports run one way (accounts → programs → enrollment → attendance → evaluation): programs may
not import enrollment. Enrollment offers its answers here from its AppConfig.ready():

    from programs import hooks
    hooks.register(trainees=selectors.enrolled_users, enrolled_count=selectors.enrolled_count,
                   capacity_raised=services.waitlist_promote, trainee_clashes=selectors.clashes)

Until an app registers a hook, the fallbacks below answer from programs' own reverse relation
(`program.enrollments`, a string status, no import); `capacity_raised` keeps a TRANSITIONAL
lazy call of enrollment's waitlist promotion until enrollment registers it (then it goes).

- trainees(program) -> iterable of users enrolled in the program (notices, feeds);
- enrolled_count(program) -> int (capacity may not drop below it);
- capacity_raised(program) -> None, called inside the program lock after capacity rose;
- trainee_clashes(program, sessions_qs) -> {other_program_id: set(user_id)} of this program's
  enrolled trainees who are also enrolled in the programs of `sessions_qs` (overlapping sessions).
"""

from django.contrib.auth import get_user_model

ENROLLED = "enrolled"  # the enrolment status that seats a trainee (enrollment.Enrollment.Status)

_registry: dict = {}

NAMES = ("trainees", "enrolled_count", "capacity_raised", "trainee_clashes")


def register(**hooks) -> None:
    unknown = set(hooks) - set(NAMES)
    if unknown:
        raise ValueError(f"unknown programs hooks: {sorted(unknown)}")
    _registry.update(hooks)


def trainees(program):
    hook = _registry.get("trainees")
    if hook is not None:
        return list(hook(program))
    return list(
        get_user_model().objects.filter(enrollments__program=program, enrollments__status=ENROLLED)
    )


def enrolled_count(program) -> int:
    hook = _registry.get("enrolled_count")
    if hook is not None:
        return hook(program)
    return program.enrollments.filter(status=ENROLLED).count()


def capacity_raised(program) -> None:
    hook = _registry.get("capacity_raised")
    if hook is not None:
        hook(program)
        return
    # TEMPORARY fallback until enrollment registers `capacity_raised` in its AppConfig.ready():
    # the seats added must still go to the head of the waitlist. Delete with the registration.
    from django.apps import apps

    if apps.is_installed("enrollment"):
        from enrollment.services import waitlist_promote

        waitlist_promote(program=program)


def trainee_clashes(program, sessions_qs) -> dict:
    hook = _registry.get("trainee_clashes")
    if hook is not None:
        return hook(program, sessions_qs)
    from programs.models import Program

    enrolled = Program.enrollments.rel.related_model.objects.filter(
        program=program, status=ENROLLED
    ).values("user_id")
    model = Program.enrollments.rel.related_model
    others = sessions_qs.filter(
        program__enrollments__user_id__in=enrolled, program__enrollments__status=ENROLLED
    ).values("program_id")
    result: dict = {}
    for program_id, user_id in model.objects.filter(
        program_id__in=others, status=ENROLLED, user_id__in=enrolled
    ).values_list("program_id", "user_id"):
        result.setdefault(program_id, set()).add(user_id)
    return result
