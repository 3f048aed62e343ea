"""Database helpers for the few statements that run so often their planning time matters."""

import psycopg
from django.db import connection


class _PreparingCursor(psycopg.Cursor):
    """Server-side binding, and every statement prepared (psycopg keeps the names per
    connection, so a pooled connection reuses them across requests)."""

    def execute(self, query, params=None, *, prepare=None, binary=None):
        return super().execute(query, params, prepare=True, binary=binary)


def prepared_cursor():
    """A cursor whose statements PostgreSQL parses and plans once per connection and then only
    executes (a server-side prepared statement, run with its one generic plan: see
    DB_PREPARED_STATEMENTS in config/settings.py).

    Used for the check-in's one statement: at the start of a lecture it runs hundreds of times a
    second with the same text, and planning it cost more than executing it. Everything else goes
    through Django's usual client-side binding. The cursor is Django's wrapper around psycopg's,
    so query logging, execute_wrappers and error translation behave as for connection.cursor().
    On other databases, or with DB_PREPARED_STATEMENTS=0, it is simply connection.cursor().
    """
    if connection.vendor != "postgresql":
        return connection.cursor()
    connection.ensure_connection()
    raw = connection.connection
    if raw.prepare_threshold is None:
        return connection.cursor()
    return connection._prepare_cursor(_PreparingCursor(raw))
