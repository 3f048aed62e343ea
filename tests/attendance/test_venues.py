"""Venue managers (issue 12 items 2-4): what they see, what they may mark, how a trainee who
checks in at another venue is counted, and nobody deciding their own case."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from attendance import selectors, services
from attendance.models import AttendanceRecord, AttendanceStatus, LeaveRequest
from core.errors import DomainError
from programs.models import ProgramStaff
from tests.attendance.conftest import retime
from tests.factories import EnrollmentFactory, SessionFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def hall(live):
    """The live session with one trainee seated at the main hall besides the branch one."""
    live.main_trainee = UserFactory(full_name="学员王五", unit=live.city_a)
    EnrollmentFactory(program=live.program, user=live.main_trainee)
    return live


def _checkin(session, user, venue, *, flagged=False):
    return AttendanceRecord.objects.create(
        session=session,
        user=user,
        venue=venue,
        status=AttendanceStatus.PRESENT,
        source=AttendanceRecord.Source.QR,
        checkin_at=timezone.now(),
        flagged=flagged,
    )


def _attendance_links(html: str) -> list[str]:
    return sorted(set(re.findall(r'href="(/attendance/[^"#?]+)', html)))


# --- item 2: what a venue manager sees -----------------------------------------------------
@pytest.mark.parametrize(
    "role", ["venue_manager", "manager", "assistant", "organizer", "admin", "trainee"]
)
def test_every_attendance_link_on_home_and_index_opens_for_its_reader(hall, client_for, role):
    user = hall.by_role()[role]
    client = client_for(user)
    for page in (reverse("home"), reverse("attendance:index")):
        html = client.get(page).content.decode()
        links = _attendance_links(html)
        assert links or (role, page) == ("trainee", reverse("home")), (role, page)
        for link in links:
            assert client.get(link).status_code == 200, (role, page, link)


def test_venue_manager_home_shows_their_sessions_today_and_upcoming_with_own_screen(
    hall, client_for
):
    tomorrow = SessionFactory(program=hall.program, venue=hall.venue, topic="乡村振兴专题")
    tomorrow.branch_venues.add(hall.branch_venue)
    retime(tomorrow, start_offset_min=24 * 60)
    elsewhere = SessionFactory(program=hall.program, venue=hall.venue, topic="只在主会场")
    retime(elsewhere, start_offset_min=60)
    html = client_for(hall.venue_manager).get(reverse("home")).content.decode()
    assert "我管理的会场" in html
    assert hall.session.topic in html and "乡村振兴专题" in html
    assert "只在主会场" not in html  # not held at their venue
    own = reverse("attendance:screen", args=[hall.session.pk, hall.branch_venue.pk])
    main = reverse("attendance:screen", args=[hall.session.pk, hall.venue.pk])
    assert own in html and main not in html
    assert reverse("attendance:board", args=[hall.session.pk]) in html


def test_class_manager_home_links_every_venue_screen(hall, client_for):
    html = client_for(hall.manager).get(reverse("home")).content.decode()
    for venue in (hall.venue, hall.branch_venue):
        assert reverse("attendance:screen", args=[hall.session.pk, venue.pk]) in html


def test_venue_schedule_query_count_does_not_grow_with_sessions(hall):
    def count():
        user = type(hall.venue_manager).objects.get(pk=hall.venue_manager.pk)  # nothing cached
        with CaptureQueriesContext(connection) as ctx:
            found = selectors.sessions_at_my_venues(user=user)
        return len(ctx), len(found)

    small = count()
    for i in range(5):
        s = SessionFactory(program=hall.program, venue=hall.venue)
        s.branch_venues.add(hall.branch_venue)
        retime(s, start_offset_min=60 * 24 * (i + 1))
    large = count()
    assert (small[1], large[1]) == (1, 6)
    assert large[0] == small[0] == 5


def test_venue_manager_board_and_roster_show_only_their_venue(hall, client_for):
    client = client_for(hall.venue_manager)
    board = client.get(reverse("attendance:board", args=[hall.session.pk])).content.decode()
    assert hall.branch_venue.name in board
    assert reverse("attendance:screen", args=[hall.session.pk, hall.venue.pk]) not in board
    assert "仅显示您管理的会场" in board
    roster = client.get(reverse("attendance:session", args=[hall.session.pk])).content.decode()
    assert hall.trainee.full_name in roster and hall.main_trainee.full_name not in roster
    assert reverse("attendance:screen", args=[hall.session.pk, hall.venue.pk]) not in roster


# --- item 3: marks and flags scoped to the venues managed ----------------------------------
def test_venue_manager_cannot_mark_a_trainee_of_another_venue(hall, client_for):
    with pytest.raises(DomainError, match="只能标记在您管理的会场"):
        services.records_mark(
            session=hall.session,
            user_ids=[hall.trainee.pk, hall.main_trainee.pk],
            status="present",
            reason="补记",
            by=hall.venue_manager,
            venue_ids={hall.branch_venue.pk},
        )
    assert not AttendanceRecord.objects.exists()  # refused whole, nothing half-written
    response = client_for(hall.venue_manager).post(
        reverse("attendance:mark", args=[hall.session.pk]),
        {"users": [hall.main_trainee.pk], "status": "present", "reason": "补记"},
        follow=True,
    )
    assert "只能标记在您管理的会场" in response.content.decode()
    assert not AttendanceRecord.objects.exists()


def test_venue_manager_marks_own_venue_trainee_and_one_who_checked_in_there(hall, client_for):
    _checkin(hall.session, hall.main_trainee, hall.branch_venue)  # came to the branch instead
    response = client_for(hall.venue_manager).post(
        reverse("attendance:mark", args=[hall.session.pk]),
        {"users": [hall.trainee.pk, hall.main_trainee.pk], "status": "late", "reason": "核实"},
        follow=True,
    )
    assert "已更新 2 名学员的考勤" in response.content.decode()


def test_class_manager_keeps_the_whole_session(hall, client_for):
    response = client_for(hall.manager).post(
        reverse("attendance:mark", args=[hall.session.pk]),
        {"users": [hall.trainee.pk, hall.main_trainee.pk], "status": "present", "reason": "纸质"},
        follow=True,
    )
    assert "已更新 2 名学员的考勤" in response.content.decode()


def test_venue_manager_cannot_clear_the_flag_of_another_venues_trainee(hall, client_for):
    record = _checkin(hall.session, hall.main_trainee, hall.venue, flagged=True)
    client = client_for(hall.venue_manager)
    page = client.get(reverse("attendance:record", args=[record.pk])).content.decode()
    assert "核实疑似代签" not in page
    response = client.post(
        reverse("attendance:record_clear_flag", args=[record.pk]),
        {"reason": "看起来没问题"},
        follow=True,
    )
    assert "该学员不在您管理的会场" in response.content.decode()
    record.refresh_from_db()
    assert record.flagged
    own = _checkin(hall.session, hall.trainee, hall.branch_venue, flagged=True)
    client.post(reverse("attendance:record_clear_flag", args=[own.pk]), {"reason": "本人在场"})
    own.refresh_from_db()
    assert not own.flagged


# --- item 3: a trainee who scans at another venue; the numbers add up ------------------------
def _assert_adds_up(board, enrolled):
    for vb in board.venues:
        assert vb.expected == vb.checked_in + vb.on_leave + len(vb.missing), vb.venue.name
    assert board.expected == sum(vb.expected for vb in board.venues) == enrolled
    assert board.checked_in == sum(vb.checked_in for vb in board.venues)


def test_a_trainee_scanning_at_another_venue_counts_there_and_the_figures_add_up(hall, client_for):
    # the branch trainee scans at the main hall; one more main-hall trainee is on leave
    _checkin(hall.session, hall.trainee, hall.venue)
    on_leave = UserFactory(full_name="学员赵六", unit=hall.city_a)
    EnrollmentFactory(program=hall.program, user=on_leave)
    AttendanceRecord.objects.create(
        session=hall.session,
        user=on_leave,
        status=AttendanceStatus.ON_LEAVE,
        source=AttendanceRecord.Source.LEAVE,
    )
    board = selectors.session_board(session=hall.session)
    main, branch = board.venue(hall.venue.pk), board.venue(hall.branch_venue.pk)
    assert (main.expected, main.checked_in, main.on_leave, len(main.missing)) == (3, 1, 1, 1)
    assert [r.name for r in main.visitors] == [hall.trainee.full_name]
    assert (branch.expected, branch.checked_in, len(branch.missing)) == (0, 0, 0)
    assert [r.name for r in branch.elsewhere] == [hall.trainee.full_name]
    _assert_adds_up(board, enrolled=3)
    html = client_for(hall.manager).get(reverse("attendance:board", args=[hall.session.pk]))
    text = html.content.decode()
    assert "已签到 1 + 请假 1 + 未到 1 = 应到 3" in text
    assert "学员在哪个会场扫码签到,就计入哪个会场" in text


def test_figures_add_up_for_many_trainees_split_over_venues(hall):
    users = [UserFactory(unit=hall.county_a if i % 2 else hall.city_a) for i in range(12)]
    for u in users:
        EnrollmentFactory(program=hall.program, user=u)
    for i, u in enumerate(users[:8]):
        _checkin(hall.session, u, hall.venue if i % 3 else hall.branch_venue)
    board = selectors.session_board(session=hall.session)
    _assert_adds_up(board, enrolled=14)
    scoped = selectors.session_board(session=hall.session, scope={hall.branch_venue.pk})
    assert [vb.venue for vb in scoped.venues] == [hall.branch_venue]
    assert scoped.expected == scoped.venues[0].expected


# --- item 4: nobody decides their own case ----------------------------------------------------
def test_a_class_manager_enrolled_in_their_own_class_cannot_mark_themselves(hall):
    EnrollmentFactory(program=hall.program, user=hall.manager)
    with pytest.raises(DomainError, match="不能处理与本人有关的事项"):
        services.records_mark(
            session=hall.session,
            user_ids=[hall.manager.pk, hall.trainee.pk],
            status="present",
            reason="我在场",
            by=hall.manager,
        )
    assert not AttendanceRecord.objects.exists()


def test_nobody_clears_their_own_proxy_flag(hall, client_for):
    EnrollmentFactory(program=hall.program, user=hall.manager)
    record = _checkin(hall.session, hall.manager, hall.venue, flagged=True)
    with pytest.raises(DomainError, match="不能处理与本人有关的事项"):
        services.record_clear_flag(record=record, reason="是我本人", by=hall.manager)
    page = client_for(hall.manager).get(reverse("attendance:record", args=[record.pk]))
    assert "核实疑似代签" not in page.content.decode()


def test_an_organizer_cannot_approve_their_own_leave(hall, client_for):
    EnrollmentFactory(program=hall.program, user=hall.organizer)
    retime(hall.session, start_offset_min=60 * 24)
    leave = services.leave_request_create(
        user=hall.organizer, program=hall.program, session_ids=[hall.session.pk], reason="出差"
    )
    response = client_for(hall.organizer).post(
        reverse("attendance:leave_decide", args=[leave.pk]), {"decision": "approve"}, follow=True
    )
    assert "不能处理与本人有关的事项" in response.content.decode()
    leave.refresh_from_db()
    assert leave.status == LeaveRequest.Status.PENDING
    page = client_for(hall.organizer).get(reverse("attendance:leave_detail", args=[leave.pk]))
    assert reverse("attendance:leave_decide", args=[leave.pk]) not in page.content.decode()
    assert ProgramStaff.objects.filter(user=hall.manager).exists()
    services.leave_request_decide(leave=leave, approve=True, note="", by=hall.manager)


def test_a_branch_venue_managers_session_page_links_no_program_page_they_cannot_open(
    world, client_for
):
    from django.urls import reverse

    program_url = reverse("attendance:program", args=[world.program.pk])
    url = reverse("attendance:session", args=[world.session.pk])
    venue_page = client_for(world.venue_manager).get(url)
    assert venue_page.status_code == 200
    assert program_url not in venue_page.content.decode()
    assert client_for(world.venue_manager).get(program_url).status_code == 403
    assert program_url in client_for(world.manager).get(url).content.decode()


def _figures(board):
    names = lambda rows: [r.name for r in rows]  # noqa: E731
    return (
        (board.expected, board.checked_in, board.late, board.on_leave, board.flagged),
        [
            (
                vb.venue.pk,
                (vb.expected, vb.checked_in, vb.late, vb.on_leave, vb.missing_count),
                (vb.flagged_count, vb.visitors_count, vb.elsewhere_count),
                names(vb.missing)[:30],
                names(vb.flagged),
                names(vb.visitors),
                names(vb.elsewhere),
            )
            for vb in board.venues
        ],
    )


@pytest.mark.parametrize("scoped", [False, True])
def test_the_polled_boards_sql_counts_agree_with_the_roster_board(hall, scoped):
    """The board and screens count in SQL (session_board_counts); the roster builds rows
    (session_board). Same figures, same names, for the whole session and a venue's scope."""
    _checkin(hall.session, hall.trainee, hall.venue, flagged=True)  # a visitor, flagged
    _checkin(hall.session, hall.main_trainee, hall.venue)
    for i in range(35):
        EnrollmentFactory(
            program=hall.program,
            user=UserFactory(
                full_name=f"学员{i:02d}", unit=hall.county_a if i % 3 else hall.city_a
            ),
        )
    late = UserFactory(full_name="迟到学员", unit=hall.city_a)
    EnrollmentFactory(program=hall.program, user=late)
    AttendanceRecord.objects.create(
        session=hall.session,
        user=late,
        venue=hall.venue,
        status=AttendanceStatus.LATE,
        checkin_at=hall.session.start,
    )
    leave = UserFactory(full_name="请假学员", unit=hall.city_a)
    EnrollmentFactory(program=hall.program, user=leave)
    AttendanceRecord.objects.create(
        session=hall.session,
        user=leave,
        status=AttendanceStatus.ON_LEAVE,
        source=AttendanceRecord.Source.LEAVE,
    )
    scope = {hall.branch_venue.pk} if scoped else None
    rows = selectors.session_board(session=hall.session, scope=scope)
    sql = selectors.session_board_counts(session=hall.session, scope=scope, names=30)
    assert _figures(sql) == _figures(rows)
    assert sql.missing == rows.missing
    venues = selectors.session_venues(hall.session)
    with CaptureQueriesContext(connection) as ctx:
        selectors.session_board_counts(session=hall.session, venues=venues)
    assert len(ctx) == 1  # the grouped counts, whatever the size of the class
