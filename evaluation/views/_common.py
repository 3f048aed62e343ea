"""Shared by the views of every evaluation workflow: form errors, starting file jobs, page size."""

from django.shortcuts import redirect

from core.errors import DomainError
from core.services import generated_file_start

PAGE_SIZE = 50


def _form_error(form, exc: DomainError):
    form.add_error(exc.field if exc.field in form.fields else None, exc.message)


def _start_file(request, *, kind, title, params, task, **task_kwargs):
    """Start a file-producing job (core queues it after commit, or keeps it waiting while the
    broker is down) and go to its progress page."""
    gf = generated_file_start(
        owner=request.user,
        kind=kind,
        title=title,
        params=params,
        task=task,
        args=list(task_kwargs.values()),
    )
    return redirect("generated_file", pk=gf.pk)
