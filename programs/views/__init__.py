"""Every HTTP endpoint of the programs app, one module per workflow (thin function views over
`programs.services` and `programs.selectors`); `programs/urls.py` routes to the modules.

    programs    list, create/edit forms, the program page, state changes, clone, reopen, waiver
    changes     cancelling and rescheduling sessions or a whole program
    timetable   the timetable and its in-place session and series forms
    resources   venues and lecturers
    schedule    a person's own schedule and calendar feeds
    costs       budget versus actual of one program
    execution   plan versus actual over a jurisdiction
"""

from programs.views.programs import PROGRAMS_PER_PAGE

__all__ = ["PROGRAMS_PER_PAGE"]
