"""Issue 12 item 12: every number of a program's policy, credit hours and capacities has sane
bounds — refused with a message by the form and the service, and by a database check."""

from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction
from django.urls import reverse

from core.errors import DomainError
from programs import services
from programs.models import Program, Session, Venue

pytestmark = pytest.mark.django_db

OUT_OF_RANGE = [
    ("attendance_warning_rate", 500),
    ("completion_min_attendance_rate", 101),
    ("checkin_opens_before", 10**9),
    ("checkin_closes_after", 1441),
    ("late_grace_minutes", 241),
    ("checkout_opens_before", 5000),
    ("checkout_closes_after", 5000),
    ("completion_max_unexcused_absences", 1001),
    ("credit_hours", Decimal("-1")),
    ("credit_hours", Decimal("1000.1")),
    ("completion_min_score", Decimal("100.5")),
    ("capacity", 10001),
]


def _form_data(program, **changes):
    from programs.forms import ProgramForm

    data = {}
    for name in ProgramForm.Meta.fields:
        value = getattr(program, name)
        if name in ("organizing_unit", "family"):
            value = value.pk if value else ""
        elif value is None:
            value = ""
        elif isinstance(value, bool):
            if not value:
                continue
            value = "on"
        elif name == "target_ranks":
            value = list(value)
        elif hasattr(value, "isoformat"):
            value = value.isoformat()
        data[name] = value
    data.update(changes)
    return data


@pytest.mark.parametrize(("field", "value"), OUT_OF_RANGE)
def test_service_refuses_out_of_range_numbers(world, field, value):
    with pytest.raises(DomainError) as err:
        services.program_update(program=world.program, by=world.organizer, data={field: value})
    assert err.value.field == field
    world.program.refresh_from_db()
    assert getattr(world.program, field) != value


@pytest.mark.parametrize("value", ["NaN", "sNaN", "Infinity", "-Infinity"])
def test_non_finite_numbers_are_refused_with_a_message(world, value):
    with pytest.raises(DomainError, match="有限的数字"):
        services.program_update(
            program=world.program, by=world.organizer, data={"credit_hours": Decimal(value)}
        )


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("attendance_warning_rate", "500"),
        ("checkin_opens_before", "1000000000"),
        ("credit_hours", "-3"),
        ("credit_hours", "NaN"),
        ("credit_hours", "Infinity"),
        ("completion_min_score", "sNaN"),
        ("late_grace_minutes", "-Infinity"),
    ],
)
def test_program_form_refuses_with_a_message_never_a_500(world, client_for, field, value):
    c = client_for(world.organizer)
    r = c.post(
        reverse("programs:edit", args=[world.program.pk]),
        _form_data(world.program, **{field: value}),
    )
    assert r.status_code == 200
    assert "has-error pg-f-" + field in r.content.decode()
    world.program.refresh_from_db()
    assert str(getattr(world.program, field)) != value


def test_program_form_accepts_values_at_the_bounds(world, client_for):
    c = client_for(world.organizer)
    r = c.post(
        reverse("programs:edit", args=[world.program.pk]),
        _form_data(
            world.program,
            attendance_warning_rate="100",
            checkin_opens_before="1440",
            credit_hours="0",
        ),
    )
    assert r.status_code == 302
    world.program.refresh_from_db()
    assert world.program.attendance_warning_rate == 100


@pytest.mark.parametrize(
    ("model", "field", "value"),
    [
        (Program, "attendance_warning_rate", 500),
        (Program, "checkin_opens_before", 30000),
        (Program, "credit_hours", Decimal("-1")),
        (Program, "completion_min_score", Decimal("101")),
        (Session, "credit_hours", Decimal("25")),
        (Venue, "capacity", 0),
    ],
)
def test_database_checks_hold_whatever_writes(world, model, field, value):
    obj = {Program: world.program, Session: world.session, Venue: world.venue}[model]
    with pytest.raises(IntegrityError), transaction.atomic():
        model.objects.filter(pk=obj.pk).update(**{field: value})


def test_session_credit_hours_bounded_in_the_form(world, client_for):
    from tests.programs.test_views import HX, _session_post

    c = client_for(world.organizer)
    for bad in ("25", "NaN", "-1"):
        body = c.post(
            reverse("programs:session_create", args=[world.program.pk]),
            _session_post(world, world.program.start_date, credit_hours=bad),
            headers=HX,
        ).content.decode()
        assert "has-error pg-f-credit_hours" in body
    assert world.program.sessions.count() == 1


def test_venue_capacity_bounded(world):
    with pytest.raises(DomainError, match="容纳人数"):
        services.venue_save(
            by=world.organizer,
            data={"name": "大礼堂", "capacity": 10**6, "unit": world.city_a},
        )


def test_the_policy_fields_are_listed_once_and_attendance_reads_from_them():
    from attendance.rules import POLICY_FIELDS
    from programs.forms import ProgramForm
    from programs.models import ATTENDANCE_POLICY_FIELDS, COMPLETION_POLICY_FIELDS
    from programs.services import PROGRAM_FIELDS

    assert set(POLICY_FIELDS) <= set(ATTENDANCE_POLICY_FIELDS)
    assert {*ATTENDANCE_POLICY_FIELDS, *COMPLETION_POLICY_FIELDS} <= set(PROGRAM_FIELDS)
    shown = [name for _, names in ProgramForm.FIELDSETS for name in names]
    assert [n for n in shown if n in ATTENDANCE_POLICY_FIELDS] == list(ATTENDANCE_POLICY_FIELDS)
