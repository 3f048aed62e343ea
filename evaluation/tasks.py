"""Thin jobs: fetch by id, call a service, store the output in the generated-file row.

core.jobs.run_file_job runs each one, so a job ends done or failed with a message whatever
happens (a missing object, a bug), never "running" for good."""

from celery import shared_task

from core.jobs import run_file_job


def _run(file_id, make, task=None):
    """`make()` returns (content, filename, content_type); the lookups happen inside it, so a
    vanished object fails the job instead of leaving it pending."""
    return run_file_job(file_id, lambda gf, progress: make(progress), task=task) == "done"


@shared_task(bind=True, acks_late=True, max_retries=2, default_retry_delay=10)
def round_export_task(self, file_id: str, round_id: int) -> bool:
    def make(progress):
        from evaluation.models import ScoringRound
        from evaluation.services import round_export_filename, round_export_xlsx

        rnd = ScoringRound.objects.select_related("program").get(pk=round_id)
        progress(10)
        return (
            round_export_xlsx(rnd=rnd),
            round_export_filename(rnd),
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )

    return _run(file_id, make, self)


@shared_task(bind=True, acks_late=True, max_retries=2, default_retry_delay=10)
def reflection_collection_task(self, file_id: str, assignment_id: int) -> bool:
    def make(progress):
        from evaluation.models import ReflectionAssignment
        from evaluation.services import reflection_collection_filename, reflection_collection_pdf

        assignment = ReflectionAssignment.objects.select_related("program").get(pk=assignment_id)
        progress(10)
        return (
            reflection_collection_pdf(assignment=assignment),
            reflection_collection_filename(assignment),
            "application/pdf",
        )

    return _run(file_id, make, self)


@shared_task(bind=True, acks_late=True, max_retries=2, default_retry_delay=10)
def certificate_pdf_task(self, file_id: str, certificate_id: int) -> bool:
    def make(progress):
        from evaluation.models import Certificate
        from evaluation.services import certificate_filename, certificate_pdf

        cert = Certificate.objects.select_related("completion__program__organizing_unit").get(
            pk=certificate_id
        )
        progress(10)
        return certificate_pdf(cert=cert), certificate_filename(cert), "application/pdf"

    return _run(file_id, make, self)
