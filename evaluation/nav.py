"""Evaluation's entries in the shared navigation and home page (kept to a few cheap queries)."""

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.scoping import roles_of
from core.registry import NavItem, Panel
from programs.access import Access, has_access


def nav_items(request):
    if not request.user.is_authenticated:
        return []
    return [NavItem(_("学习评估"), reverse("evaluation:index"), "evaluation", order=50)]


def home_panels(request):
    from enrollment.models import Enrollment
    from evaluation import selectors
    from evaluation.models import Judge, Reflection, ReflectionAssignment
    from programs.models import Lecturer, ProgramStaff

    user = request.user
    if not user.is_authenticated:
        return []
    panels = []
    if Enrollment.objects.filter(user=user, status=Enrollment.Status.ENROLLED).exists():
        year = timezone.localdate().year
        _records, total, required = selectors.credit_record(user=user, year=year)
        drafts = (
            ReflectionAssignment.objects.filter(
                program__enrollments__user=user,
                program__enrollments__status=Enrollment.Status.ENROLLED,
                deadline__gte=timezone.now(),
            )
            .exclude(
                pk__in=Reflection.objects.filter(
                    author=user,
                    status__in=[Reflection.Status.SUBMITTED, Reflection.Status.REVIEWED],
                ).values("assignment_id")
            )
            .count()
        )
        panels.append(
            Panel(
                "evaluation/panels/trainee.html",
                {
                    "drafts": drafts,
                    "to_evaluate": len(selectors.sessions_to_evaluate(user=user)),
                    "total": total,
                    "required": required,
                    "year": year,
                },
                order=40,
            )
        )
    roles = roles_of(user)
    is_organizer = roles.is_admin or roles.is_organizer
    is_staff = ProgramStaff.objects.filter(user=user).exists()
    is_lecturer = Lecturer.objects.filter(user=user).exists()
    judging = Judge.objects.filter(user=user, round__locked_at__isnull=True).count()
    if is_organizer or is_staff or is_lecturer or judging:
        to_review = 0
        if is_staff:
            to_review = selectors.reflections_to_review(user=user).count()
        panels.append(
            Panel(
                "evaluation/panels/staff.html",
                {
                    "to_review": to_review,
                    "judging": judging,
                    "is_organizer": is_organizer,
                    "is_lecturer": is_lecturer,
                },
                order=45,
            )
        )
    return panels


def program_tabs(request, program):
    """This app's tabs on the program page, for those who may open them:
    Both pages ask program_get(need=MANAGE)."""
    if not has_access(request.user, program, Access.MANAGE):
        return []
    return [
        NavItem(
            _("学习评估"),
            reverse("evaluation:program", kwargs={"pk": program.pk}),
            "evaluation:program",
            order=60,
        ),
        NavItem(
            _("结业审核"),
            reverse("evaluation:completion", kwargs={"program_pk": program.pk}),
            "evaluation:completion",
            order=70,
        ),
    ]
