"""Every programs URL for every role (walked by tests/test_url_permissions.py)."""

from tests.permissions import Entry, everyone

ORGANIZERS = {"organizer": 200, "admin": 200, "outsider": 200}


def _manage(ok):
    """Program managers (organizers, admins, class staff) get `ok`; people who see the program
    get 403; people who may not see it get 404."""
    return everyone(
        403, outsider=404, other_trainee=404, organizer=ok, admin=ok, manager=ok, assistant=ok
    )


def _organize(ok):
    """Program-level decisions: organizers and admins only; class staff get 403."""
    return everyone(403, outsider=404, other_trainee=404, organizer=ok, admin=ok)


def _organizer_pages(ok):
    return everyone(403, organizer=ok, admin=ok, outsider=ok)


def _session_with_attendance(w):
    """A session that has an attendance record, so deleting it cancels it and every role can
    try the same URL."""
    from tests.factories import AttendanceRecordFactory, SessionFactory

    session = SessionFactory(program=w.program, venue=w.venue, topic="待取消的课程")
    AttendanceRecordFactory(session=session, user=w.trainee, venue=w.venue)
    return session.pk


def _trainee_feed_token(w):
    from programs.services import calendar_feed_get_or_create

    return calendar_feed_get_or_create(user=w.trainee).token


PERMISSIONS = {
    "programs:list": Entry(expect=everyone(200)),
    "programs:create": Entry(expect=_organizer_pages(200)),
    "programs:detail": Entry(
        kwargs=lambda w: {"pk": w.program.pk},
        expect=everyone(200, outsider=404, other_trainee=404),
    ),
    "programs:edit": Entry(kwargs=lambda w: {"pk": w.program.pk}, expect=_organize(200)),
    "programs:transition": Entry(
        method="post",
        kwargs=lambda w: {"pk": w.program.pk},
        data=lambda w: {"to": "running"},
        expect=_organize(302),
    ),
    "programs:clone": Entry(kwargs=lambda w: {"pk": w.program.pk}, expect=_organize(200)),
    # Reopening a closed program is the admin's alone (the world's program is open: the admin's
    # request is answered with a message and a redirect).
    "programs:reopen": Entry(
        method="post",
        kwargs=lambda w: {"pk": w.program.pk},
        data=lambda w: {"reason": "补录", "days": "7"},
        expect=everyone(403, outsider=404, other_trainee=404, admin=302),
    ),
    # Letting a program run outside the training plan is the admin's alone (audited).
    "programs:plan_waive": Entry(
        method="post",
        kwargs=lambda w: {"pk": w.program.pk},
        data=lambda w: {"reason": "上级临时部署"},
        expect=everyone(403, outsider=404, other_trainee=404, admin=302),
        effect=lambda w: type(w.program).objects.get(pk=w.program.pk).plan_waiver_reason,
    ),
    # Actual costs: the program's organizers and admins; class staff see the program but 403.
    "programs:costs": Entry(kwargs=lambda w: {"pk": w.program.pk}, expect=_organize(200)),
    # Plan versus actual: organizers and admins, each for their own scope.
    "programs:plan_execution": Entry(expect=_organizer_pages(200)),
    # The pickers' query endpoints answer whoever opens the forms that use them (organizers).
    "programs:pick_units": Entry(query="?q=T-A", expect=_organizer_pages(200)),
    "programs:pick_plan_items": Entry(query="?q=x", expect=_organizer_pages(200)),
    "programs:reopen_end": Entry(
        method="post",
        kwargs=lambda w: {"pk": w.program.pk},
        expect=everyone(403, outsider=404, other_trainee=404, admin=302),
    ),
    "programs:cancel_sessions": Entry(kwargs=lambda w: {"pk": w.program.pk}, expect=_organize(200)),
    "programs:reschedule": Entry(kwargs=lambda w: {"pk": w.program.pk}, expect=_organize(200)),
    "programs:timetable": Entry(
        kwargs=lambda w: {"pk": w.program.pk},
        expect=everyone(200, outsider=404, other_trainee=404),
    ),
    "programs:session_create": Entry(kwargs=lambda w: {"pk": w.program.pk}, expect=_manage(200)),
    "programs:series_create": Entry(kwargs=lambda w: {"pk": w.program.pk}, expect=_manage(200)),
    "programs:session_edit": Entry(kwargs=lambda w: {"pk": w.session.pk}, expect=_manage(200)),
    "programs:session_move": Entry(
        method="post",
        kwargs=lambda w: {"pk": w.session.pk},
        data=lambda w: {"date": w.program.start_date.isoformat()},
        expect=_manage(302),
    ),
    "programs:session_delete": Entry(
        method="post",
        kwargs=lambda w: {"pk": _session_with_attendance(w)},
        expect=_manage(302),
    ),
    "programs:session_cancel": Entry(kwargs=lambda w: {"pk": w.session.pk}, expect=_manage(200)),
    "programs:session_reschedule": Entry(
        kwargs=lambda w: {"pk": w.session.pk}, expect=_manage(200)
    ),
    "programs:venue_list": Entry(expect=_organizer_pages(200)),
    "programs:venue_create": Entry(expect=_organizer_pages(200)),
    "programs:venue_edit": Entry(
        kwargs=lambda w: {"pk": w.venue.pk},
        expect=everyone(403, organizer=200, admin=200, outsider=404),
    ),
    "programs:lecturer_list": Entry(expect=_organizer_pages(200)),
    "programs:lecturer_create": Entry(expect=_organizer_pages(200)),
    # The world's lecturer belongs to no unit: the shared pool any organizer may keep.
    "programs:lecturer_edit": Entry(
        kwargs=lambda w: {"pk": w.lecturer.pk}, expect=_organizer_pages(200)
    ),
    "programs:lecturer_feed_regenerate": Entry(
        method="post", kwargs=lambda w: {"pk": w.lecturer.pk}, expect=_organizer_pages(302)
    ),
    "programs:my_schedule": Entry(expect=everyone(200)),
    "programs:feed_regenerate": Entry(method="post", expect=everyone(302)),
    # The feed is public by its secret token: calendar clients cannot log in.
    "programs:feed": Entry(
        kwargs=lambda w: {"token": _trainee_feed_token(w)}, expect=everyone(200, anonymous=200)
    ),
}
