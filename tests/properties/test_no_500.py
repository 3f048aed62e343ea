"""Property-based tests: whatever arrives, Lectern answers with a message, never a 500."""

import io
import string

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from attendance import tokens
from core.errors import DomainError
from enrollment.imports.parse import clean_id_number, clean_phone, parse_roster
from tests.test_url_permissions import ENTRIES

FAST = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
CELL = st.one_of(
    st.none(),
    st.integers(-(10**12), 10**18),
    st.floats(allow_nan=True, allow_infinity=False),
    st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), max_size=20),
    st.sampled_from(
        [
            "姓名",
            "单位",
            "职务",
            "职级",
            "手机号码",
            "身份证号",
            "性别",
            "填表人:",
            "　张　三　",
            "11010519491231002X",
            "13800138000",
            "乡科级",
            "男",
        ]
    ),
)


# --- QR tokens ----------------------------------------------------------------------------


@FAST
@given(st.text(max_size=200))
def test_token_reader_accepts_or_refuses_but_never_crashes(raw):
    try:
        scan = tokens.read(raw)
    except tokens.TokenError:
        return
    assert scan.purpose in tokens.PURPOSES


@FAST
@given(
    st.integers(1, 10**9),
    st.integers(1, 10**9),
    st.sampled_from(tokens.PURPOSES),
    st.integers(0, 200),
    st.text(alphabet=string.printable, min_size=1, max_size=3),
)
def test_a_tampered_token_is_always_refused(session_id, venue_id, purpose, position, junk):
    token = tokens.issue(session_id=session_id, venue_id=venue_id, purpose=purpose)
    i = position % len(token)
    tampered = token[:i] + junk + token[i + 1 :]
    if tampered == token:
        return
    with pytest.raises(tokens.TokenError):
        tokens.read(tampered)


@pytest.mark.django_db
@FAST
@given(
    raw=st.text(alphabet=string.ascii_letters + string.digits + ":-_.", min_size=1, max_size=120)
)
def test_scan_page_never_500s(raw, world, client_for):
    client = client_for(world.trainee)
    response = client.get(reverse("attendance:scan", kwargs={"token": raw}))
    assert response.status_code < 500


# --- roster import ------------------------------------------------------------------------


@FAST
@given(st.binary(max_size=2000))
def test_random_bytes_are_refused_with_a_message(data):
    upload = SimpleUploadedFile("roster.xlsx", data)
    with pytest.raises(DomainError):
        parse_roster(upload)


@pytest.mark.django_db
@FAST
@given(st.lists(st.lists(CELL, min_size=0, max_size=8), min_size=0, max_size=12), st.booleans())
def test_any_workbook_parses_or_says_why(rows, merge_title):
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    for row in rows:
        ws.append(row)
    if merge_title and rows:
        ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=4)
    buf = io.BytesIO()
    wb.save(buf)
    upload = SimpleUploadedFile("roster.xlsx", buf.getvalue())
    try:
        parsed = parse_roster(upload)
    except DomainError as exc:
        assert str(exc)
        return
    for row in parsed.rows:
        assert isinstance(row["row"], int)


@FAST
@given(CELL)
def test_cell_cleaners_never_crash(value):
    for cleaner in (clean_phone, clean_id_number):
        result, error = cleaner(value)
        assert isinstance(result, str)


# --- every form ----------------------------------------------------------------------------

POST_ENTRIES = sorted(n for n, e in ENTRIES.items() if e.method == "post")
FIELD_VALUES = st.one_of(
    st.text(max_size=30),
    st.sampled_from(
        ["", "0", "-1", "99999999999", "2026-02-30", "2026-03-05T14:30", "abc", "on", "1"]
    ),
)


@pytest.mark.django_db
@pytest.mark.parametrize("url_name", POST_ENTRIES)
@settings(
    max_examples=8,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    data=st.dictionaries(
        st.sampled_from(
            [
                "title",
                "code",
                "name",
                "reason",
                "status",
                "start",
                "end",
                "date",
                "topic",
                "capacity",
                "count",
                "note",
                "grade",
                "score",
                "content",
                "body",
                "user",
                "users",
                "session",
                "sessions",
                "venue",
                "unit",
                "quota",
                "action",
                "decision",
                "text",
                "comment",
                "weekdays",
                "first_date",
                "until",
            ]
        ),
        FIELD_VALUES,
        max_size=8,
    )
)
def test_no_form_answers_garbage_with_a_500(url_name, data, world, client_for):
    entry = ENTRIES[url_name]
    role = next(
        (
            r
            for r in (
                "manager",
                "organizer",
                "admin",
                "trainee",
                "venue_manager",
                "lecturer",
                "liaison",
            )
            if entry.expect.get(r) in (200, 302)
        ),
        None,
    )
    if role is None:
        return
    client = client_for(world.by_role()[role])
    # The tables' kwargs builders may create objects: build the URL once, not per example.
    cache = world.__dict__.setdefault("_urls", {})
    if url_name not in cache:
        cache[url_name] = reverse(url_name, kwargs=entry.kwargs(world)) + entry.query
    response = client.post(cache[url_name], data=data)
    assert response.status_code < 500, (url_name, data)
