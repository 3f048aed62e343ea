import datetime as dt
import subprocess

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from core.errors import DomainError
from core.models import AuditLog, Notification
from evaluation import services, similarity
from evaluation.models import Grade, Reflection, SimilarityFlag
from tests.evaluation.factories import long_essay, make_assignment, make_reflection
from tests.factories import EnrollmentFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_chinese_length_counts_only_hanzi():
    assert similarity.chinese_length("学习体会,abc 123。新质生产力") == 9


def test_autosave_stores_the_draft_and_ignores_an_older_revision(world):
    a = make_assignment(world.program)
    r = services.reflection_save_draft(assignment=a, user=world.trainee, body="第二版", rev=200)
    assert r.draft_saved_at is not None and r.status == Reflection.Status.DRAFT
    late = services.reflection_save_draft(assignment=a, user=world.trainee, body="第一版", rev=100)
    late.refresh_from_db()
    assert late.body == "第二版"
    assert Reflection.objects.count() == 1


def test_empty_and_too_short_reflections_are_refused_and_nothing_is_written(world):
    a = make_assignment(world.program, min_chars=100)
    with pytest.raises(DomainError, match="不能为空"):
        services.reflection_submit(assignment=a, user=world.trainee, body="   ")
    with pytest.raises(DomainError, match="少于要求的 100 字"):
        services.reflection_submit(assignment=a, user=world.trainee, body="学习体会" * 10)
    assert not Reflection.objects.filter(status=Reflection.Status.SUBMITTED).exists()


def test_submission_after_the_deadline_is_refused_unless_late_is_allowed(world):
    a = make_assignment(world.program, deadline=timezone.now() - dt.timedelta(hours=1))
    with pytest.raises(DomainError, match="已过截止时间"):
        services.reflection_submit(assignment=a, user=world.trainee, body=long_essay())
    a.allow_late = True
    a.save()
    r = services.reflection_submit(assignment=a, user=world.trainee, body=long_essay())
    assert r.status == Reflection.Status.SUBMITTED and r.is_late


def test_a_submitted_reflection_cannot_be_submitted_or_edited_again(world):
    a = make_assignment(world.program)
    services.reflection_submit(assignment=a, user=world.trainee, body=long_essay())
    with pytest.raises(DomainError, match="请勿重复提交"):
        services.reflection_submit(assignment=a, user=world.trainee, body=long_essay(5))
    with pytest.raises(DomainError, match="不能再修改"):
        services.reflection_save_draft(assignment=a, user=world.trainee, body="改")


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("essay.exe", b"MZ....", "附件类型不符"),
        ("essay.pdf", b"not a pdf at all", "内容与所需类型不符"),
    ],
)
def test_attachments_of_the_wrong_type_are_refused(world, name, content, message):
    a = make_assignment(world.program, attachment_types="pdf")
    upload = SimpleUploadedFile(name, content)
    with pytest.raises(DomainError, match=message):
        services.reflection_submit(
            assignment=a, user=world.trainee, body=long_essay(), attachment=upload
        )
    assert not Reflection.objects.filter(status=Reflection.Status.SUBMITTED).exists()


def test_oversized_attachment_is_refused(world, settings):
    settings.LECTERN_UPLOAD_MAX_BYTES = 10
    a = make_assignment(world.program, attachment_types="pdf")
    with pytest.raises(DomainError, match="文件过大"):
        services.reflection_submit(
            assignment=a,
            user=world.trainee,
            body=long_essay(),
            attachment=SimpleUploadedFile("a.pdf", b"%PDF-1.4 " + b"x" * 50),
        )


def test_a_valid_pdf_attachment_is_stored(world, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    a = make_assignment(world.program, attachment_types="pdf")
    r = services.reflection_submit(
        assignment=a,
        user=world.trainee,
        body=long_essay(),
        attachment=SimpleUploadedFile("a.pdf", b"%PDF-1.4 hello"),
    )
    assert r.attachment.name.endswith("/attachment.pdf")  # our name, the real type


def test_review_grades_logs_and_notifies(world):
    a = make_assignment(world.program)
    r = services.reflection_submit(assignment=a, user=world.trainee, body=long_essay())
    services.reflection_review(
        reflection=r, grade=Grade.EXCELLENT, score="92", comment="好", by=world.manager
    )
    r.refresh_from_db()
    assert (r.status, r.grade, str(r.score)) == (Reflection.Status.REVIEWED, "excellent", "92.0")
    assert AuditLog.objects.filter(action="reflection.review", target_id=str(r.pk)).exists()
    assert Notification.objects.filter(user=world.trainee, kind="reflection_reviewed").exists()


def test_review_rejects_a_score_out_of_range_and_a_missing_grade(world):
    a = make_assignment(world.program)
    r = make_reflection(a, world.trainee)
    with pytest.raises(DomainError, match="0 到 100"):
        services.reflection_review(
            reflection=r, grade=Grade.GOOD, score="120", comment="", by=world.manager
        )
    with pytest.raises(DomainError, match="等次"):
        services.reflection_review(reflection=r, grade="", score="80", comment="", by=world.manager)
    r.refresh_from_db()
    assert r.status == Reflection.Status.SUBMITTED and r.grade == ""


def test_return_for_revision_needs_a_comment_and_reopens_the_editor(world):
    a = make_assignment(world.program)
    r = make_reflection(a, world.trainee)
    with pytest.raises(DomainError, match="修改意见"):
        services.reflection_return(reflection=r, comment=" ", by=world.manager)
    services.reflection_return(reflection=r, comment="请结合本镇实际", by=world.manager)
    r.refresh_from_db()
    assert r.status == Reflection.Status.RETURNED and r.editable
    again = services.reflection_submit(assignment=a, user=world.trainee, body=long_essay(5))
    assert again.status == Reflection.Status.SUBMITTED


def test_near_duplicate_essays_between_classmates_are_flagged_with_passages(world):
    a = make_assignment(world.program)
    mate = UserFactory(full_name="同班学员")
    EnrollmentFactory(program=world.program, user=mate)
    third = UserFactory(full_name="另一学员")
    EnrollmentFactory(program=world.program, user=third)
    copied = long_essay(3)
    services.reflection_submit(assignment=a, user=world.trainee, body=copied + "我的体会很深。")
    services.reflection_submit(assignment=a, user=mate, body="开头改几个字。" + copied)
    services.reflection_submit(
        assignment=a,
        user=third,
        body="乡村振兴要靠产业带动,我们村发展茶叶种植和乡村旅游,集体经济收入明显增加。" * 3,
    )
    flags = list(SimilarityFlag.objects.all())
    assert len(flags) == 1
    flag = flags[0]
    assert {flag.first.author_id, flag.second.author_id} == {world.trainee.pk, mate.pk}
    assert flag.score > 0.8
    assert any("新质生产力" in p for p in flag.passages)


def test_similarity_of_unrelated_texts_is_low():
    score, passages = similarity.compare(
        "坚持以人民为中心的发展思想,扎实推进共同富裕。" * 3,
        "加强基层党组织建设,提升组织力和战斗力。" * 3,
    )
    assert score < similarity.THRESHOLD and passages == []


def test_collection_pdf_has_a_table_of_contents_and_the_excellent_essays(world):
    a = make_assignment(world.program, title="专题培训学习体会")
    make_reflection(
        a,
        world.trainee,
        grade=Grade.EXCELLENT,
        status=Reflection.Status.REVIEWED,
        title="把学习成果转化为发展实效",
    )
    other = UserFactory(full_name="王合格")
    make_reflection(a, other, grade=Grade.PASS, status=Reflection.Status.REVIEWED)
    pdf = services.reflection_collection_pdf(assignment=a)
    text = subprocess.run(
        ["pdftotext", "-", "-"], input=pdf, capture_output=True, check=True
    ).stdout.decode()
    assert "目录" in text
    assert world.trainee.full_name in text and "把学习成果转化为发展实效" in text
    assert "王合格" not in text


def test_collection_without_excellent_essays_is_a_clear_error(world):
    with pytest.raises(DomainError, match="优秀"):
        services.reflection_collection_pdf(assignment=make_assignment(world.program))
