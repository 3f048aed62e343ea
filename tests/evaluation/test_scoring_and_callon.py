import random
from decimal import Decimal
from io import BytesIO

import pytest
from openpyxl import load_workbook

from core.errors import DomainError
from evaluation import selectors, services
from evaluation.models import CallOnPick, ScoreSheet
from tests.evaluation.factories import attend, attendees, make_round, score
from tests.factories import SessionFactory

pytestmark = pytest.mark.django_db


def test_weighted_total_is_on_a_hundred_point_scale(world):
    rnd = make_round(world.program, [world.organizer])
    p = rnd.presenters.first()
    sheet = score(rnd, p, world.organizer, "8", "9")  # (0.4*8 + 0.6*9) / 10 * 100
    assert sheet.total == Decimal("86.00")


def test_scores_out_of_range_are_refused(world):
    rnd = make_round(world.program, [world.organizer])
    with pytest.raises(DomainError, match="0.0 到 10.0"):
        score(rnd, rnd.presenters.first(), world.organizer, "11", "5")
    with pytest.raises(DomainError, match="打分"):
        score(rnd, rnd.presenters.first(), world.organizer, "", "5")
    assert ScoreSheet.objects.count() == 0


def test_a_judge_cannot_score_the_same_presenter_twice(world):
    rnd = make_round(world.program, [world.organizer])
    p = rnd.presenters.first()
    score(rnd, p, world.organizer, "8", "8")
    with pytest.raises(DomainError, match="不能重复打分"):
        score(rnd, p, world.organizer, "9", "9")
    assert ScoreSheet.objects.count() == 1


def test_only_judges_score_and_not_after_locking(world):
    rnd = make_round(world.program, [world.organizer])
    with pytest.raises(DomainError, match="不是本轮评委"):
        score(rnd, rnd.presenters.first(), world.manager, "8", "8")
    services.round_lock(rnd=rnd, by=world.organizer)
    with pytest.raises(DomainError, match="已锁定"):
        score(rnd, rnd.presenters.first(), world.organizer, "8", "8")


def test_ranking_drops_highest_and_lowest_when_asked(world):
    judges = [world.organizer, world.manager, world.assistant, world.admin]
    rnd = make_round(world.program, judges, presenters=2, drop_extremes=True)
    a, b = rnd.presenters.all()
    for j, (x, y) in zip(judges, [("10", "10"), ("8", "8"), ("7", "7"), ("1", "1")], strict=True):
        score(rnd, a, j, x, y)
    for j in judges[:2]:
        score(rnd, b, j, "9", "9")
    ranking = selectors.round_ranking(rnd=rnd)
    by_name = {r.presenter.pk: r for r in ranking}
    assert by_name[a.pk].average == Decimal("75.00")  # mean of 80 and 70; 100 and 10 dropped
    assert by_name[a.pk].dropped == [Decimal("10.00"), Decimal("100.00")]
    assert by_name[b.pk].average == Decimal("90.00")  # fewer than 3 scores: nothing dropped
    assert [r.presenter.pk for r in ranking] == [b.pk, a.pk]
    assert [r.rank for r in ranking] == [1, 2]


def test_presenters_without_scores_are_listed_last_without_a_rank(world):
    rnd = make_round(world.program, [world.organizer], presenters=3)
    first = rnd.presenters.last()
    score(rnd, first, world.organizer, "5", "5")
    ranking = selectors.round_ranking(rnd=rnd)
    assert ranking[0].presenter == first and ranking[0].rank == 1
    assert all(r.rank is None for r in ranking[1:])


def test_export_contains_ranking_and_every_sheet(world):
    rnd = make_round(world.program, [world.organizer, world.manager], presenters=2)
    for p in rnd.presenters.all():
        score(rnd, p, world.organizer, "8", "8")
    wb = load_workbook(BytesIO(services.round_export_xlsx(rnd=rnd)))
    ranking, detail = wb.worksheets
    # Title, export time, a blank row, the header, then one row per presenter / sheet.
    assert ranking.cell(1, 1).value.endswith(rnd.title)
    assert ranking.cell(4, 2).value == "汇报人" and ranking.max_row == 6 and detail.max_row == 6
    assert detail.cell(5, 2).value == world.organizer.full_name


def test_export_has_column_widths_a_frozen_header_and_safe_cells(world):
    rnd = make_round(world.program, [world.organizer], presenters=1)
    presenter = rnd.presenters.first()
    presenter.topic = '=HYPERLINK("http://evil","x")'
    presenter.save()
    wb = load_workbook(BytesIO(services.round_export_xlsx(rnd=rnd)))
    ranking = wb.worksheets[0]
    assert ranking.freeze_panes == "A5"
    assert ranking.column_dimensions["D"].width >= 30  # 汇报题目
    assert ranking.print_title_rows == "$4:$4"
    assert ranking.cell(5, 4).value.startswith("'=")
    assert wb.properties.title == f"评分结果 · {rnd.title}"


def test_call_on_picks_only_checked_in_trainees_and_never_twice_in_a_session(world):
    present = attendees(world.session, 2)
    attend(world.session, world.trainee, checkin=False)  # a record without check-in
    picked = {
        services.callon_pick(session=world.session, by=world.manager).user_id for _ in range(2)
    }
    assert picked == {u.pk for u in present}
    with pytest.raises(DomainError, match="没有可点名的学员"):
        services.callon_pick(session=world.session, by=world.manager)
    assert CallOnPick.objects.count() == 2


def test_call_on_favours_those_who_have_not_spoken_in_the_program(world):
    spoken, fresh = attendees(world.session, 2)
    earlier = SessionFactory(program=world.program)
    for _ in range(3):
        CallOnPick.objects.create(session=earlier, program=world.program, user=spoken)
    rng = random.Random(7)
    fresh_hits = 0
    for _ in range(300):
        pick = services.callon_pick(session=world.session, by=world.manager, rng=rng)
        fresh_hits += pick.user_id == fresh.pk
        pick.delete()
    # weight 1 vs 1/16: the fresh trainee should be picked about 94% of the time
    assert fresh_hits > 260
