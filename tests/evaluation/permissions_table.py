"""Every evaluation URL for every role. The world's program is run by city A: admin, organizer,
manager and assistant MANAGE it; trainee, lecturer and venue manager are INVOLVED; the liaison
is AUDIENCE; the outsider organizer and other_trainee cannot see it (404)."""

from tests.evaluation import factories as f
from tests.permissions import LOGIN, Entry, everyone

MANAGERS = ("admin", "organizer", "manager", "assistant")


def manage(ok=200, **overrides):
    table = everyone(403, outsider=404, other_trainee=404)
    table.update(dict.fromkeys(MANAGERS, ok))
    table.update(overrides)
    return table


def trainee_only(ok=200):
    return everyone(403, outsider=404, other_trainee=404, trainee=ok)


def _assignment(w):
    return {"pk": f.make_assignment(w.program).pk}


def _reflection(w):
    return {"pk": f.make_reflection(f.make_assignment(w.program), w.trainee).pk}


def _attachment(w):
    from django.core.files.base import ContentFile

    r = f.make_reflection(f.make_assignment(w.program), w.trainee)
    r.attachment.save("attachment.pdf", ContentFile(b"%PDF-1.4 test"), save=True)
    return {"pk": r.pk}


def _attended_session(w):
    f.attend(w.session, w.trainee)
    return {"session_pk": w.session.pk}


def _round(w):
    return {"pk": f.make_round(w.program, [w.organizer, w.manager]).pk}


def _judge_score(w):
    rnd = f.make_round(w.program, [w.organizer, w.manager])
    return {"pk": rnd.pk, "presenter_pk": rnd.presenters.first().pk}


def _certificate(w):
    return {"pk": f.make_certificate(w.program, w.trainee).pk}


def _serial(w):
    return {"serial": f.make_certificate(w.program, w.trainee).serial}


def _commitment(w):
    return {"pk": f.make_commitment(w.program, w.trainee).pk}


PROGRAM = {"kwargs": lambda w: {"program_pk": w.program.pk}}
SESSION = {"kwargs": lambda w: {"session_pk": w.session.pk}}

PERMISSIONS = {
    "evaluation:index": Entry(expect=everyone(200)),
    "evaluation:program": Entry(kwargs=lambda w: {"pk": w.program.pk}, expect=manage()),
    # Reflections
    "evaluation:assignment_create": Entry(**PROGRAM, expect=manage()),
    "evaluation:assignment_detail": Entry(kwargs=_assignment, expect=manage()),
    "evaluation:assignment_edit": Entry(kwargs=_assignment, expect=manage()),
    "evaluation:reflection_write": Entry(kwargs=_assignment, expect=trainee_only()),
    "evaluation:reflection_autosave": Entry(
        kwargs=_assignment,
        method="post",
        data=lambda w: {"body": "草稿", "rev": "1"},
        htmx=True,
        expect=trainee_only(),
    ),
    "evaluation:reflection_submit": Entry(
        kwargs=_assignment,
        method="post",
        data=lambda w: {"body": "太短"},
        expect=trainee_only(302),
    ),
    "evaluation:collection_pdf": Entry(kwargs=_assignment, method="post", expect=manage(302)),
    "evaluation:reflection_review": Entry(kwargs=_reflection, expect=manage()),
    "evaluation:review_queue": Entry(expect=everyone(200)),
    # The author and the program's managers; everyone else cannot tell it exists.
    "evaluation:reflection_attachment": Entry(
        kwargs=_attachment,
        expect={**everyone(404), **dict.fromkeys(MANAGERS, 200), "trainee": 200},
    ),
    # Course evaluation: only those who attended may evaluate
    "evaluation:evaluate": Entry(kwargs=_attended_session, expect=trainee_only()),
    "evaluation:session_results": Entry(**SESSION, expect=manage(lecturer=200)),
    "evaluation:evaluation_remind": Entry(**SESSION, method="post", expect=manage(302)),
    "evaluation:program_results": Entry(**PROGRAM, expect=manage()),
    "evaluation:lecturer_results": Entry(expect=everyone(403, lecturer=200)),
    # Live scoring: the organizer and the manager are the judges
    "evaluation:round_create": Entry(**PROGRAM, expect=manage()),
    "evaluation:round_detail": Entry(kwargs=_round, expect=manage()),
    "evaluation:round_board": Entry(
        kwargs=_round, expect=manage(trainee=200, lecturer=200, venue_manager=200)
    ),
    "evaluation:round_lock": Entry(kwargs=_round, method="post", expect=manage(302)),
    "evaluation:round_export": Entry(kwargs=_round, method="post", expect=manage(302)),
    "evaluation:judge_home": Entry(kwargs=_round, expect=manage(403, organizer=200, manager=200)),
    "evaluation:judge_score": Entry(
        kwargs=_judge_score, expect=manage(403, organizer=200, manager=200)
    ),
    # Call-on: program managers and the session's venue managers
    "evaluation:callon": Entry(**SESSION, expect=manage(venue_manager=200)),
    "evaluation:callon_pick": Entry(
        **SESSION, method="post", expect=manage(302, venue_manager=302)
    ),
    # Completion and certificates
    "evaluation:completion": Entry(**PROGRAM, expect=manage()),
    "evaluation:completion_confirm": Entry(**PROGRAM, method="post", expect=manage(302)),
    "evaluation:certificate_pdf": Entry(
        kwargs=_certificate, method="post", expect=manage(302, trainee=302)
    ),
    "evaluation:verify_form": Entry(expect=everyone(200, anonymous=200)),
    "evaluation:verify": Entry(kwargs=_serial, expect=everyone(200, anonymous=200)),
    # Credit hours
    # (the trainee's hours, the overview and the requirements are the training record's pages:
    # these addresses redirect there)
    "evaluation:credits_mine": Entry(expect=everyone(302)),
    "evaluation:credits_overview": Entry(
        expect=everyone(403, admin=302, organizer=302, outsider=302)
    ),
    "evaluation:credit_requirements": Entry(expect=everyone(403, admin=302)),
    "evaluation:credit_policy": Entry(**PROGRAM, expect=manage()),
    # Follow-up
    "evaluation:followup_mine": Entry(expect=everyone(200)),
    "evaluation:commitment_create": Entry(method="post", expect=everyone(302)),
    "evaluation:commitment_progress": Entry(
        kwargs=_commitment,
        method="post",
        data=lambda w: {"note": "进展", "progress": "50"},
        expect=everyone(404, anonymous=LOGIN, trainee=302),
    ),
    "evaluation:followup_program": Entry(**PROGRAM, expect=manage()),
    "evaluation:followup_remind": Entry(**PROGRAM, method="post", expect=manage(302)),
}
