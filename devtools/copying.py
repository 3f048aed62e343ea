"""Shared plumbing of the province-year seeders (devtools.province, devtools.province_records):
progress lines, the seed marker, and PostgreSQL COPY of text lines into a model's table."""

import datetime as dt
import io
import json

from django.db import connection
from django.db import models as m
from django.utils import timezone


def _say(opts, line):
    out = opts.get("stdout")
    if out is not None:
        out.write(f"   {line}")


def _marker(scale: str) -> str:
    return f"bench-seed:{scale}"


def _raw():
    connection.ensure_connection()
    return connection.connection


def _text(value) -> str:
    if value is None:
        return "\\N"
    if isinstance(value, bool):
        return "t" if value else "f"
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, dt.datetime):
        return _ts(value)
    return str(value).replace("\\", "\\\\").replace("\t", " ").replace("\n", " ")


def _fill_values(model, columns: list[str]) -> list[tuple[str, str]]:
    """Text values for the columns other apps may add to their models after this was written:
    their defaults, NULL, or an empty string, so the COPY keeps working as models grow."""
    now = timezone.now()
    extra = []
    for f in model._meta.concrete_fields:
        if f.primary_key or f.column in columns:
            continue
        if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
            value = now
        elif f.has_default():
            value = f.get_default()
        elif f.null:
            value = None
        elif isinstance(f, m.CharField | m.TextField):
            value = ""
        else:
            raise RuntimeError(f"cannot fill {model._meta.label}.{f.name} in the bench seed")
        extra.append((f.column, _text(value)))
    return extra


def _copy(model, columns: list[str], lines) -> int:
    """COPY text lines ("a\\tb\\n") into a model's table; returns the number of rows."""
    extra = _fill_values(model, columns)
    suffix = "".join("\t" + v for _c, v in extra) + "\n"
    names = ", ".join(f'"{c}"' for c in [*columns, *(c for c, _v in extra)])
    count = 0
    buffer = io.StringIO()
    with (
        _raw().cursor() as cur,
        cur.copy(f"COPY {model._meta.db_table} ({names}) FROM STDIN") as copy,
    ):
        for line in lines:
            buffer.write(line[:-1] + suffix)
            count += 1
            if count % 20000 == 0:
                copy.write(buffer.getvalue())
                buffer = io.StringIO()
        copy.write(buffer.getvalue())
    return count


def _ts(value: dt.datetime) -> str:
    return value.isoformat(sep=" ")
