"""Enqueue Celery tasks without ever letting a broker outage break the request that asked."""

import logging

from django.db import transaction

logger = logging.getLogger(__name__)


def enqueue(task, *args, **kwargs):
    """Send a task now; its AsyncResult if the broker took it (truthy). With the broker down,
    log and return None (callers that must not lose work keep a row that a sweep re-enqueues)."""
    try:
        return task.apply_async(args=args, kwargs=kwargs, retry=False)
    except Exception:  # kombu/redis raise a variety of connection errors
        logger.warning("broker unavailable: %s not queued", task.name, exc_info=True)
        return None


def enqueue_on_commit(task, *args, **kwargs) -> None:
    """Send a task once the current transaction has committed (never from inside it)."""
    transaction.on_commit(lambda: enqueue(task, *args, **kwargs))
