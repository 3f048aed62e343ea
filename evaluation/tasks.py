"""Thin jobs: fetch by id, call a service, store the output in the generated-file row."""

from celery import shared_task

from core.errors import DomainError
from core.services import generated_file_fail, generated_file_finish, generated_file_progress


def _run(file_id, make, filename, content_type):
    generated_file_progress(file_id=file_id, progress=10)
    try:
        content = make()
    except DomainError as exc:
        generated_file_fail(file_id=file_id, error=str(exc))
        return False
    generated_file_finish(
        file_id=file_id, content=content, filename=filename, content_type=content_type
    )
    return True


@shared_task(acks_late=True)
def round_export_task(file_id: str, round_id: int) -> bool:
    from evaluation.models import ScoringRound
    from evaluation.services import round_export_xlsx

    rnd = ScoringRound.objects.get(pk=round_id)
    return _run(
        file_id,
        lambda: round_export_xlsx(rnd=rnd),
        f"scoring-{rnd.pk}.xlsx",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )


@shared_task(acks_late=True)
def reflection_collection_task(file_id: str, assignment_id: int) -> bool:
    from evaluation.models import ReflectionAssignment
    from evaluation.services import reflection_collection_pdf

    assignment = ReflectionAssignment.objects.select_related("program").get(pk=assignment_id)
    return _run(
        file_id,
        lambda: reflection_collection_pdf(assignment=assignment),
        f"reflections-{assignment.pk}.pdf",
        "application/pdf",
    )


@shared_task(acks_late=True)
def certificate_pdf_task(file_id: str, certificate_id: int) -> bool:
    from evaluation.models import Certificate
    from evaluation.services import certificate_pdf

    cert = Certificate.objects.get(pk=certificate_id)
    return _run(
        file_id,
        lambda: certificate_pdf(cert=cert),
        f"certificate-{cert.serial}.pdf",
        "application/pdf",
    )
