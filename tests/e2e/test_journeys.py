"""Real-browser journeys of issue 8 (journey 5, the language switch, is in test_shell.py).

Each journey uses the pages as a user would: links, clicks and form fills; the only URL typed in
is the login page and, in journey 2, the check-in link that a phone reads from the QR code.
Screenshots land in tests/e2e/screenshots/journey<N>_*.png.
"""

import datetime as dt
import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from tests.e2e.conftest import login, shot
from tests.factories import TEST_PASSWORD

pytestmark = pytest.mark.django_db(transaction=True)


def wait_until(condition, timeout: float = 10.0) -> None:
    """Poll a database condition (the browser has moved on; the server commits shortly)."""
    import time

    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(0.05)


def next_weekday(day: dt.date, weekday: int) -> dt.date:
    """The first date on or after `day` falling on `weekday` (0 = Monday)."""
    return day + dt.timedelta(days=(weekday - day.weekday()) % 7)


# --- journey 1: an organizer schedules a Thursday-afternoon lecture series ----------------------


def test_organizer_creates_thursday_lecture_series_and_sees_it_on_the_timetable(world, page):
    from programs.models import Program, Session

    first_thursday = next_weekday(timezone.localdate() + dt.timedelta(days=1), 3)
    last_day = first_thursday + dt.timedelta(weeks=5)

    login(page, world.organizer.username, TEST_PASSWORD)
    page.click(".mainnav a:has-text('培训项目')")
    page.click("a.button:has-text('新建项目')")
    expect(page.locator("h1")).to_have_text("新建项目")
    page.fill("#id_code", "E2E-JT-2026")
    page.fill("#id_title", "云江市“一把手上讲台”周四下午系列讲座")
    page.fill("#id_theme", "学习贯彻党的二十届四中全会精神")
    page.select_option("#id_level", "city")
    page.select_option("#id_kind", label="系列讲座")
    # the unit picker: type, pick the match from the list (its id is what the form posts)
    page.fill("#id_organizing_unit", world.city_a.code)
    page.click(f".pg-f-organizing_unit .picker-option[data-id='{world.city_a.pk}']")
    expect(page.locator(".pg-f-organizing_unit .picker-current")).to_have_text(world.city_a.name)
    page.fill("#id_start_date", first_thursday.isoformat())
    page.fill("#id_end_date", last_day.isoformat())
    page.fill("#id_capacity", "200")
    page.fill("#id_credit_hours", "12")
    shot(page, "journey1_program_form", full_page=False)
    page.click("form.pg-form button[type=submit]")

    expect(page.locator(".messages, .msg:not(.htmx-error)").first).to_contain_text("项目已创建")
    program = Program.objects.get(code="E2E-JT-2026")
    assert program.kind == Program.Kind.LECTURE_SERIES
    assert program.status == Program.Status.DRAFT
    assert program.organizing_unit == world.city_a
    expect(page.locator("h1")).to_contain_text("周四下午系列讲座")
    shot(page, "journey1_program_detail")

    # Recurring series: every Thursday 14:30–17:30, four times, main venue + a branch venue.
    page.click("a.button:has-text('循环排课')")
    expect(page.locator("#series-form")).to_be_visible()
    page.check("input[name=weekdays][value='3']")
    expect(page.locator("#id_start_time")).to_have_value("14:30")
    expect(page.locator("#id_end_time")).to_have_value("17:30")
    expect(page.locator("#id_first_date")).to_have_value(first_thursday.isoformat())
    page.fill("#id_count", "4")
    page.select_option("#id_kind", label="专题讲座")
    page.fill("#id_topic", "“一把手上讲台”专题讲座")
    page.select_option("#id_venue", str(world.venue.pk))
    page.check(f"input[name=branch_venues][value='{world.branch_venue.pk}']")
    page.select_option("#id_lecturers", str(world.lecturer.pk))
    shot(page, "journey1_series_form")
    page.click("#series-form button[type=submit]")

    # htmx redirects to the month view; the user switches to the week of the first lecture.
    page.wait_for_url(re.compile(r"/timetable/\?view=month"))
    expect(page.locator("#tt-board")).to_be_visible()
    shot(page, "journey1_timetable_month")
    sessions = list(Session.objects.filter(program=program).order_by("start"))
    assert len(sessions) == 4
    for i, s in enumerate(sessions):
        start, end = timezone.localtime(s.start), timezone.localtime(s.end)
        assert start.date() == first_thursday + dt.timedelta(weeks=i)
        assert (start.weekday(), start.time(), end.time()) == (3, dt.time(14, 30), dt.time(17, 30))
        assert s.venue == world.venue
        assert list(s.branch_venues.all()) == [world.branch_venue]
        assert s.series_id is not None

    page.click(".pg-viewswitch a:has-text('周')")
    expect(page.locator("#tt-board[data-view=week]")).to_be_visible()
    page.wait_for_url(re.compile(r"view=week"))
    day = page.locator(f"#day-{first_thursday.isoformat()}")
    slot = day.locator(".pg-slot")
    expect(slot).to_have_count(1)
    expect(slot.locator(".pg-time")).to_have_text("14:30–17:30")
    expect(slot).to_contain_text("“一把手上讲台”专题讲座")
    expect(slot).to_contain_text(world.venue.name)
    expect(slot).to_contain_text("1 个分课堂")
    # Only the Thursday has a lecture in this week.
    expect(page.locator("#tt-board .pg-slot")).to_have_count(1)
    shot(page, "journey1_timetable_week")

    # Next week shows the next Thursday.
    page.click(".pg-period a:has-text('下周')")
    second = first_thursday + dt.timedelta(weeks=1)
    expect(page.locator(f"#day-{second.isoformat()} .pg-slot")).to_have_count(1)


# --- journey 2: a trainee scans the QR on a phone while logged out ------------------------------


def test_trainee_scans_qr_logged_out_logs_in_and_lands_checked_in(world, new_page):
    from attendance.models import AttendanceRecord, AttendanceStatus
    from tests.factories import EnrollmentFactory, SessionFactory, UserFactory

    # A lecture of the world's class starting in ten minutes, in the main hall with the 青湖区
    # branch venue; a classmate from the city is expected in the main hall.
    start = (timezone.now() + dt.timedelta(minutes=10)).replace(second=0, microsecond=0)
    if timezone.localdate(start) != timezone.localdate():
        pytest.skip("the lecture would fall on tomorrow; the manager's today list is empty")
    session = SessionFactory(
        program=world.program,
        venue=world.venue,
        topic="推进中国式现代化专题报告",
        start=start,
        end=start + dt.timedelta(hours=3),
    )
    session.branch_venues.add(world.branch_venue)
    classmate = UserFactory(full_name="学员王五", unit=world.city_a)
    EnrollmentFactory(program=world.program, user=classmate)

    # The class manager opens the live board and, in a second tab, the branch venue's screen.
    board = new_page()
    login(board, world.manager.username, TEST_PASSWORD)
    board.click(".mainnav a:has-text('考勤')")
    today = board.locator("li", has_text="推进中国式现代化专题报告")
    today.locator("a:has-text('实时看板')").click()
    totals = board.locator(".board-totals .stat .value").first
    branch = board.locator(".board-venue", has_text=world.branch_venue.name)
    expect(totals).to_have_text("0/2")
    expect(branch.locator(".board-count")).to_have_text("0/1")
    expect(branch.locator(".missing")).to_contain_text(world.trainee.full_name)
    shot(board, "journey2_board_before")

    # Ctrl-click opens the roster in a second tab; from there, the branch venue's screen.
    with board.context.expect_page() as opened:
        board.click(".screen-nav a:has-text('考勤名单')", modifiers=["Control"])
    screen = opened.value
    screen.wait_for_load_state()
    screen.click(f"a.button:has-text('签到屏:{world.branch_venue.name}')")
    expect(screen.locator(".screen-purpose")).to_have_text("扫码签到")
    expect(screen.locator(".chip-ok")).to_have_text("开放中")
    qr = screen.locator(".qr[data-scan-url]")
    expect(qr.locator("svg")).to_be_visible()
    shot(screen, "journey2_projector_screen")

    # The trainee's phone reads the link the QR encodes, opens it logged out, and logs in.
    phone = new_page(phone=True)
    scan_url = qr.get_attribute("data-scan-url")
    assert re.search(r"/attendance/scan/[^/]+/$", scan_url)
    before_scan = timezone.now()
    phone.goto(scan_url)
    after_scan = timezone.now()
    assert "/accounts/login/" in phone.url
    assert not AttendanceRecord.objects.filter(session=session, user=world.trainee).exists()
    shot(phone, "journey2_phone_login")
    phone.fill("#id_username", world.trainee.username)
    phone.fill("#id_password", TEST_PASSWORD)
    phone.click("form[action$='/accounts/login/'] button[type=submit]")

    phone.wait_for_url(re.compile(r"/attendance/scan/resume/"))
    expect(phone.locator(".scan-result h1")).to_have_text("签到成功")
    expect(phone.locator(".scan-result")).to_contain_text("推进中国式现代化专题报告")
    shot(phone, "journey2_phone_checked_in")

    record = AttendanceRecord.objects.get(session=session, user=world.trainee)
    assert record.status == AttendanceStatus.PRESENT
    assert record.venue == world.branch_venue
    assert record.source == AttendanceRecord.Source.QR
    # Checked in at the moment of the scan, not of the login that followed.
    assert before_scan <= record.checkin_at <= after_scan
    shown = timezone.localtime(record.checkin_at).strftime("%H:%M:%S")
    expect(phone.locator(".scan-result .facts")).to_contain_text(shown)

    # The board polls and shows the count go up at the branch venue.
    expect(totals).to_have_text("1/2", timeout=15_000)
    expect(branch.locator(".board-count")).to_have_text("1/1")
    expect(branch.locator(".missing")).to_contain_text("全部到齐")
    shot(board, "journey2_board_after")

    # The trainee's own record page agrees.
    phone.click("a.button:has-text('查看考勤记录')")
    expect(phone.locator("body")).to_contain_text("推进中国式现代化专题报告")
    shot(phone, "journey2_phone_record")


# --- journey 3: a reflection survives a closed tab, is submitted and graded --------------------

ESSAY_START = "通过这次专题培训,我对新质生产力有了更加系统的认识。"
ESSAY_REST = (
    "回到乡镇工作岗位后,我将结合本地实际,推动特色产业提质增效,"
    "把学习成果转化为推动发展的具体举措,切实为群众办实事解难题。"
)


def test_trainee_reflection_draft_survives_closed_tab_then_submitted_and_graded(world, new_page):
    from evaluation.models import Grade, Reflection
    from tests.evaluation.factories import make_assignment

    assignment = make_assignment(
        world.program,
        title="乡镇发展专题学习心得",
        prompt="结合本乡镇实际,谈谈如何因地制宜发展新质生产力",
        min_chars=60,
    )

    page = new_page()
    login(page, world.trainee.username, TEST_PASSWORD)
    page.click(".mainnav a:has-text('学习评估')")
    page.click(f"a:has-text('{assignment.title}')")
    expect(page.locator("h1")).to_have_text(assignment.title)
    page.fill("#id_title", "因地制宜发展新质生产力")
    page.locator("#id_body").press_sequentially(ESSAY_START)
    # The server autosaves once typing pauses.
    expect(page.locator("#save-status")).to_contain_text("已保存", timeout=10_000)
    expect(page.locator("[data-char-count]")).to_have_class("count-low")
    drafts = Reflection.objects.filter(assignment=assignment, author=world.trainee)
    wait_until(lambda: drafts.filter(body=ESSAY_START).exists())
    reflection = drafts.get()
    assert reflection.status == Reflection.Status.DRAFT
    shot(page, "journey3_draft_autosaved")

    # More text (one input event, as a paste: typed key by key on a busy machine, a pause
    # between two keys could outlast the autosave's debounce), and the tab is closed before the
    # next autosave can go out.
    page.locator("#id_body").fill(ESSAY_START + ESSAY_REST)
    context = page.context
    page.close()
    reflection.refresh_from_db()
    assert reflection.body == ESSAY_START  # only this browser's storage has the rest

    # Coming back: the editor restores the unsynced text from this browser and syncs it.
    page = context.new_page()
    page.goto("/")
    page.click(".mainnav a:has-text('学习评估')")
    page.click(f"a:has-text('{assignment.title}')")
    expect(page.locator("#id_body")).to_have_value(ESSAY_START + ESSAY_REST)
    expect(page.locator("#id_title")).to_have_value("因地制宜发展新质生产力")
    shot(page, "journey3_draft_restored")
    expect(page.locator("#save-status")).to_contain_text("已保存", timeout=10_000)
    reflection.refresh_from_db()
    assert reflection.body == ESSAY_START + ESSAY_REST
    expect(page.locator("[data-char-count]")).to_have_class("count-ok")

    # Submit (after confirming the dialog).
    page.once("dialog", lambda dialog: dialog.accept())
    page.click("#reflection-form button[type=submit]")
    expect(page.locator(".messages, .msg:not(.htmx-error)").first).to_contain_text("心得已提交")
    expect(page.locator(".chip-submitted")).to_have_text("已提交")
    reflection.refresh_from_db()
    assert reflection.status == Reflection.Status.SUBMITTED
    assert reflection.submitted_at is not None
    shot(page, "journey3_submitted")

    # The class manager grades it.
    mgr = new_page()
    login(mgr, world.manager.username, TEST_PASSWORD)
    mgr.click(".mainnav a:has-text('学习评估')")
    mgr.click(f"a:has-text('{world.program.title}')")
    mgr.click(f"a:has-text('{assignment.title}')")
    row = mgr.locator("tr", has_text=world.trainee.full_name)
    row.locator("a:has-text('评阅')").click()
    expect(mgr.locator(".essay-read")).to_have_text(ESSAY_START + ESSAY_REST)
    mgr.get_by_label("优秀").check()
    mgr.fill("input[name=score]", "92")
    mgr.fill("textarea[name=comment]", "联系实际紧密,举措具体可行。")
    shot(mgr, "journey3_review_form")
    mgr.click("button[name=action][value=review]")
    expect(mgr.locator(".messages, .msg:not(.htmx-error)").first).to_contain_text("评阅已保存")
    shot(mgr, "journey3_reviewed_list")
    reflection.refresh_from_db()
    assert reflection.status == Reflection.Status.REVIEWED
    assert reflection.grade == Grade.EXCELLENT
    assert reflection.score == 92

    # The trainee sees the grade and the comment.
    page.click(".mainnav a:has-text('学习评估')")
    item = page.locator("li", has_text=assignment.title)
    expect(item.locator(".chip-ok")).to_have_text("优秀")
    item.locator(f"a:has-text('{assignment.title}')").click()
    expect(page.locator(".chip-ok")).to_have_text("优秀")
    expect(page.locator("body")).to_contain_text("联系实际紧密,举措具体可行。")
    shot(page, "journey3_trainee_sees_grade")


# --- journey 4: an admin exports the attendance summary PDF -------------------------------------


def _real_worker_possible() -> bool:
    """A Celery worker thread needs a database it can open itself (not SQLite in memory)."""
    from django.db import connection

    from tests.conftest import redis_available

    return connection.vendor == "postgresql" and redis_available()


@pytest.fixture
def summary_program(world):
    """The world's class with 60 more trainees in four townships and four held sessions."""
    from tests.factories import AttendanceRecordFactory
    from tests.reports.factories import build_program

    build_program(trainees=60, sessions=4, units=4, program=world.program, parent=world.city_a)
    AttendanceRecordFactory(session=world.session, user=world.trainee)
    return world.program


def test_admin_exports_attendance_summary_pdf_watching_progress(
    world, summary_program, new_page, tmp_path, monkeypatch
):
    import shutil
    import subprocess

    from config.celery import app
    from core.models import GeneratedFile

    if shutil.which("pdftotext") is None:
        pytest.skip("poppler-utils missing (pdftotext)")
    real_worker = _real_worker_possible()
    # Jobs are queued, not run in the request: the page must show them waiting first.
    app.conf.task_always_eager = False

    page = new_page()
    login(page, world.admin.username, TEST_PASSWORD)
    page.click(".mainnav a:has-text('报表导出')")
    page.click(f"a:has-text('{summary_program.title}')")
    expect(page.locator("h2").first).to_have_text("考勤汇总表")
    shot(page, "journey4_exports_page")
    page.click("button[name=kind][value=summary_pdf]")

    page.wait_for_url(re.compile(r"/files/[0-9a-f-]+/$"))
    gf = GeneratedFile.objects.get(owner=world.admin)
    assert gf.kind == "reports.summary_pdf"
    assert gf.status == GeneratedFile.Status.PENDING
    bar = page.locator("#gf-status progress")
    expect(bar).to_be_visible()
    expect(bar).to_have_attribute("value", "0")
    shot(page, "journey4_progress_queued")
    # Record every progress value the page shows while it polls (page.evaluate is not
    # subject to the page's CSP).
    page.evaluate(
        """() => {
          window.__progress = [];
          const note = () => {
            const bar = document.querySelector('#gf-status progress');
            if (bar) window.__progress.push(Number(bar.getAttribute('value')));
          };
          note();
          new MutationObserver(note).observe(document.body, {subtree: true, childList: true});
        }"""
    )

    download_link = page.locator("#gf-status a.button:has-text('下载')")
    if real_worker:
        import time

        from celery.contrib.testing.worker import start_worker

        from reports import services as report_services

        # On a fast machine this small export finishes within one of the page's 1 s polls, and
        # the page would go from 0 straight to the download. Each intermediate step is held a
        # little longer than a poll, so the page is sure to show the bar moving.
        record_progress = report_services.generated_file_progress

        def held_progress(*, file_id, progress):
            record_progress(file_id=file_id, progress=progress)
            if 0 < progress < 100:
                time.sleep(1.2)

        monkeypatch.setattr(report_services, "generated_file_progress", held_progress)

        with start_worker(
            app,
            pool="threads",
            concurrency=2,
            perform_ping_check=False,
            loglevel="WARNING",
            shutdown_timeout=30,
        ):
            # The bar moves while the worker renders the summary.
            page.wait_for_function(
                """() => document.querySelector('#gf-status a.button') ||
                  Number(document.querySelector('#gf-status progress')?.getAttribute('value')) > 0""",
                timeout=60_000,
            )
            if bar.count():
                shot(page, "journey4_progress_running")
            expect(download_link).to_be_visible(timeout=90_000)
    else:
        # SQLite in memory cannot be opened by a worker thread: this test plays the worker and
        # runs the queued job in-process while the page keeps polling.
        # The live server shares that one connection with this thread, so the page's polls
        # are held (a sync route handler only runs while this thread is inside Playwright)
        # until the job is done: no query of the server thread interleaves with the job's.
        poll = re.compile(r"/files/[0-9a-f-]+/$")
        page.route(poll, lambda route: route.continue_())
        with page.expect_response(poll):
            pass
        app.conf.task_always_eager = True
        from reports.tasks import export_run

        assert export_run.delay(str(gf.pk)).get() == "done"
        expect(download_link).to_be_visible(timeout=15_000)

    seen = page.evaluate("window.__progress")
    print(f"progress seen by the page ({'real worker' if real_worker else 'in-process'}): {seen}")
    assert seen and seen[0] == 0
    assert seen == sorted(seen), seen
    if real_worker:
        assert any(0 < p < 100 for p in seen), seen
    expect(page.locator("#gf-status .ok")).to_have_text("文件已生成。")
    shot(page, "journey4_progress_done")
    gf.refresh_from_db()
    assert gf.status == GeneratedFile.Status.DONE and gf.progress == 100

    with page.expect_download() as info:
        download_link.click()
    download = info.value
    assert download.suggested_filename.endswith(".pdf")
    assert "考勤汇总表" in download.suggested_filename
    path = tmp_path / "summary.pdf"
    download.save_as(path)
    assert path.read_bytes()[:5] == b"%PDF-"
    text = subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout
    squashed = "".join(text.split())
    assert world.trainee.full_name in squashed
    assert summary_program.title in squashed
    assert GeneratedFile.objects.filter(owner=world.admin).count() == 1
