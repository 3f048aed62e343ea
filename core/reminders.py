"""The one reminder engine: apps offer reminder sources, the engine sends each reminder once.

An app offers its reminders in `<app>/reminders.py` (found by core.registry's discovery):

    def reminder_sources():                 # the callables this app contributes
        return [session_reminders, low_attendance_reminders]

or, older style, one `due_reminders(now)` function. Each source takes `now` and returns
:class:`Reminder` objects; the same reminder may be returned on every beat tick, because
:func:`reminders_send` sends each (kind, person, occasion) at most once, ever:

    from core.reminders import Reminder

    Reminder(kind="reflection_deadline", occasion=f"reflection:{a.pk}", user_ids=[...],
             title=gettext_lazy("……%(title)s……"), params={"title": a.title}, url=...)

`title`/`body` are lazy translations with their values in `params`, so each recipient reads
the reminder in their own language (core.services.notify_many). `dispatch(now)` is what the
beat job runs.

The sent-markers and the per-person preferences are still the tables of the reports app
(`reports.ReminderSent`, `reports.ReminderPreference`, looked up through the app registry, not
imported): moving them into core needs a core migration, the next step.
"""

import uuid
from collections import defaultdict
from dataclasses import dataclass, field

from django.apps import apps
from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.utils import timezone

from core.registry import app_modules
from core.services import notification_emails_queue, notify_many


@dataclass
class Reminder:
    """One message to some people on one occasion. Apps yield these from
    `<app>.reminders.due_reminders(now)`; reports sends each (kind, occasion, person) once.

    `title`/`body` are gettext_lazy("……%(name)s……") with the values in `params` (plain str/int),
    so every recipient reads the reminder in their own language (core.services.notify_many);
    a plain str is still sent as it is."""

    kind: str
    occasion: str
    user_ids: list
    title: object
    body: object = ""
    url: str = ""
    extra: dict = field(default_factory=dict)
    params: dict = field(default_factory=dict)


# Above this many recipients in one run, PostgreSQL inserts the sent-markers with one
# array-unnest statement per chunk instead of building model instances (300k in seconds);
# recipients are loaded a chunk at a time (one query for all the reminders of the chunk) and
# notified through core.services.notify_many, which queues their e-mails in chunks too.
BULK_THRESHOLD = 2000
CHUNK = 50_000


def reminders_send(*, reminders: list[Reminder], notification_kind: str | None = None) -> int:
    """Send reminders, each at most once per (kind, person, occasion). Returns how many sent.

    Markers are inserted with ignore_conflicts under this run's id; only rows carrying the id
    were inserted by this run, so only those people are notified — in the same transaction, so
    a crash before commit leaves neither marker nor message, and the next run sends them.
    """
    if not reminders:
        return 0
    run = uuid.uuid4()
    ReminderSent, ReminderPreference = _tables()
    User = get_user_model()
    with transaction.atomic():
        kinds = {r.kind for r in reminders}
        disabled = set(
            ReminderPreference.objects.filter(kind__in=kinds, enabled=False).values_list(
                "kind", "user_id"
            )
        )
        rows = [
            (r.kind, uid, r.occasion)
            for r in reminders
            for uid in dict.fromkeys(r.user_ids)
            if (r.kind, uid) not in disabled
        ]
        bulk = connection.vendor == "postgresql" and len(rows) >= BULK_THRESHOLD
        _markers_insert(rows, run, bulk=bulk)
        fresh = defaultdict(list)
        for kind, occasion, uid in (
            ReminderSent.objects.filter(run=run)
            .values_list("kind", "occasion", "user_id")
            .iterator(chunk_size=20000)
        ):
            fresh[(kind, occasion)].append(uid)
        if not fresh:
            return 0
        # (reminder, its fresh recipients) a CHUNK of people at a time: one query loads the
        # people of every reminder in the batch (thousands of small reminders of a session
        # each would otherwise cost a query apiece)
        batch, size, sent, emails = [], 0, 0, []
        for r in reminders:
            ids_now = fresh.pop((r.kind, r.occasion), None) or []
            for start in range(0, len(ids_now), CHUNK):
                part = ids_now[start : start + CHUNK]
                if size + len(part) > CHUNK and batch:
                    sent += _notify_batch(batch, notification_kind, User, emails)
                    batch, size = [], 0
                batch.append((r, part))
                size += len(part)
        if batch:
            sent += _notify_batch(batch, notification_kind, User, emails)
        if emails:  # every e-mail of the run queued in chunks once the run has committed
            transaction.on_commit(lambda: notification_emails_queue(emails))
    return sent


def _notify_batch(batch, notification_kind, User, emails: list) -> int:
    ids = {uid for _r, part in batch for uid in part}
    users = {
        u.pk: u
        for u in User.objects.filter(pk__in=ids, is_active=True).only(
            "id", "email", "email_notifications"
        )
    }
    sent = 0
    for r, part in batch:
        recipients = [users[i] for i in part if i in users]
        if recipients:
            # core's one notification path: inbox rows in one INSERT; the e-mails are queued
            # by reminders_send for the whole run, a chunk at a time, after commit (the sweep
            # sends what a broker outage left unsent)
            sent += notify_many(
                users=recipients,
                title=r.title,
                body=r.body,
                url=r.url,
                kind=notification_kind or f"reminder.{r.kind}",
                params=r.params or None,
                emails_to=emails,
            )
    return sent


def _markers_insert(rows, run, *, bulk: bool) -> None:
    ReminderSent, _preference = _tables()
    if not bulk:
        ReminderSent.objects.bulk_create(
            [ReminderSent(kind=k, user_id=u, occasion=o, run=run) for k, u, o in rows],
            ignore_conflicts=True,
            batch_size=5000,
        )
        return
    now = timezone.now()
    table = ReminderSent._meta.db_table
    with connection.cursor() as cursor:
        for start in range(0, len(rows), CHUNK):
            part = rows[start : start + CHUNK]
            cursor.execute(
                f"INSERT INTO {table} (kind, user_id, occasion, run, created_at) "
                "SELECT k, u, o, %s, %s FROM unnest(%s::varchar[], %s::bigint[], %s::varchar[]) "
                "AS t(k, u, o) ON CONFLICT DO NOTHING",
                [run, now, [r[0] for r in part], [r[1] for r in part], [r[2] for r in part]],
            )


def reminder_send_once(
    *, kind: str, occasion: str, users, title, body="", url: str = "", params=None
) -> int:
    """For other apps: notify these people once for this occasion (e.g. a leave decision)."""
    ids = [getattr(u, "pk", u) for u in users]
    return reminders_send(
        reminders=[
            Reminder(
                kind=kind,
                occasion=occasion,
                user_ids=ids,
                title=title,
                body=body,
                url=url,
                params=params or {},
            )
        ]
    )


def _tables():
    """(sent-marker model, preference model)."""
    return apps.get_model("reports", "ReminderSent"), apps.get_model(
        "reports", "ReminderPreference"
    )


def sources() -> list:
    """Every app's reminder sources, in app order (core.registry discovery)."""
    found = []
    for module in app_modules("reminders"):
        if module.__name__ == __name__:  # core's own module is the engine, not a source
            continue
        offered = getattr(module, "reminder_sources", None)
        if offered is not None:
            found.extend(offered())
        elif getattr(module, "due_reminders", None) is not None:
            found.append(module.due_reminders)
    return found


def due_reminders(now=None) -> list[Reminder]:
    """What every source says is due now (sent or not: reminders_send sends once)."""
    now = now or timezone.now()
    reminders: list[Reminder] = []
    for source in sources():
        reminders.extend(source(now) or [])
    return reminders


def dispatch(now=None) -> int:
    """The beat job: send every due reminder that has not been sent yet."""
    return reminders_send(reminders=due_reminders(now))
