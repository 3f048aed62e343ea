from tests.permissions import LOGIN, Entry, everyone

# Program exports need MANAGE on the program (programs.access): admin, the organizer of the city,
# the class manager and assistant. Involved people (trainee, lecturer, venue manager) and the
# liaison of a unit in the program's jurisdiction see the program but may not export it (403);
# outsiders get 404.
PROGRAM_MANAGE = everyone(
    404,
    admin=200,
    organizer=200,
    manager=200,
    assistant=200,
    trainee=403,
    lecturer=403,
    venue_manager=403,
    liaison=403,
)
PROGRAM_POST = {k: (302 if v == 200 else v) for k, v in PROGRAM_MANAGE.items()}

PERMISSIONS = {
    "reports:index": Entry(expect=everyone(200)),
    "reports:program_exports": Entry(kwargs=lambda w: {"pk": w.program.pk}, expect=PROGRAM_MANAGE),
    "reports:program_export": Entry(
        kwargs=lambda w: {"pk": w.program.pk},
        method="post",
        data=lambda w: {"kind": "signin_xlsx", "session": w.session.pk},
        expect=PROGRAM_POST,
    ),
    "reports:program_csv": Entry(kwargs=lambda w: {"pk": w.program.pk}, expect=PROGRAM_MANAGE),
    # Finding a person's record: admins and organizers (results limited to their units).
    "reports:trainee_search": Entry(
        query="?q=学员", expect=everyone(403, admin=200, organizer=200, outsider=200)
    ),
    # The record lives in the credits app (credits:record checks who may see it): redirects.
    "reports:trainee_record": Entry(kwargs=lambda w: {"pk": w.trainee.pk}, expect=everyone(302)),
    "reports:trainee_export": Entry(
        kwargs=lambda w: {"pk": w.trainee.pk},
        method="post",
        data=lambda w: {"kind": "record_xlsx"},
        expect=everyone(302),
    ),
    "reports:my_record": Entry(expect=everyone(302)),
    "reports:statistics": Entry(expect=everyone(403, admin=200)),
    "reports:statistics_xlsx": Entry(expect=everyone(403, admin=200)),
    "reports:preferences": Entry(expect=everyone(200)),
}

assert LOGIN  # anonymous → login everywhere (everyone() sets it)
