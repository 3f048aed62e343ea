"""Enqueue Celery tasks without ever letting a broker outage break the request that asked."""

import logging

from django.db import transaction

logger = logging.getLogger(__name__)


def enqueue(task, *args, **kwargs) -> bool:
    """Send a task now; True if the broker took it. With the broker down, log and return False
    (callers that must not lose work keep a row that a later sweep re-enqueues)."""
    try:
        task.apply_async(args=args, kwargs=kwargs, retry=False)
        return True
    except Exception:  # kombu/redis raise a variety of connection errors
        logger.warning("broker unavailable: %s not queued", task.name, exc_info=True)
        return False


def enqueue_on_commit(task, *args, **kwargs) -> None:
    """Send a task once the current transaction has committed (never from inside it)."""
    transaction.on_commit(lambda: enqueue(task, *args, **kwargs))
