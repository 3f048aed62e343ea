"""Enrollment test data: quotas, nominations, requests, groups and messy roster workbooks."""

import io

import factory

from enrollment.imports.parse import id_check_digit
from enrollment.models import (
    DiscussionGroup,
    Enrollment,
    EnrollmentPolicy,
    ImportBatch,
    Quota,
    WithdrawalRequest,
)
from tests.factories import EnrollmentFactory, ProgramFactory, UserFactory


class PolicyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = EnrollmentPolicy
        django_get_or_create = ("program",)

    program = factory.SubFactory(ProgramFactory)
    applications_open = True


class QuotaFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Quota

    program = factory.SubFactory(ProgramFactory)
    unit = factory.LazyAttribute(lambda o: o.program.organizing_unit)
    seats = 2


class NominationFactory(EnrollmentFactory):
    status = Enrollment.Status.NOMINATED
    source = Enrollment.Source.NOMINATION
    quota = factory.SubFactory(QuotaFactory)
    program = factory.LazyAttribute(lambda o: o.quota.program)
    user = factory.SubFactory(UserFactory, unit=factory.SelfAttribute("..quota.unit"))


class WithdrawalRequestFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = WithdrawalRequest

    enrollment = factory.SubFactory(EnrollmentFactory)
    reason = "工作冲突"
    requested_by = factory.LazyAttribute(lambda o: o.enrollment.user)


class GroupFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = DiscussionGroup

    program = factory.SubFactory(ProgramFactory)
    number = factory.Sequence(lambda n: n + 1)
    name = factory.LazyAttribute(lambda o: f"第{o.number}组")
    room = "研讨室301"


class ImportBatchFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ImportBatch

    program = factory.SubFactory(ProgramFactory)
    filename = "名册.xlsx"
    rows = factory.LazyFunction(list)


def id_number(seq: int, *, lower_x: bool = False) -> str:
    """A valid 18-digit ID number; pick seq so that the check digit is X when you need one."""
    first17 = f"53010219850101{seq % 1000:03d}"
    number = first17 + id_check_digit(first17)
    return number.lower() if lower_x else number


def id_number_ending_x() -> str:
    for seq in range(1000):
        n = id_number(seq)
        if n.endswith("X"):
            return n
    raise AssertionError("no X check digit found")


def workbook_bytes(build) -> bytes:
    """Build a workbook with `build(ws)` and return it as .xlsx bytes."""
    from openpyxl import Workbook

    wb = Workbook()
    build(wb.active)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def upload(content: bytes, name: str = "名册.xlsx"):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(
        name,
        content,
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
