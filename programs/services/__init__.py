"""Every write of the programs app, one module per workflow. Each function checks the rules of the
program's state (DESIGN.md §3), raises DomainError with a message for the form, and logs what
matters. Callers import from here (`from programs.services import program_update`).

    common      the state names, the clash error, the bounds check of numbers
    lifecycle   create, change, publish/close, reopen, the plan item behind a program
    costs       actual costs per category
    clone       the next cohort
    sessions    one session: create, delete, and the checks every timetable write shares
    series      recurring series; editing one session or the ones after it
    changes     moving, rescheduling and cancelling (people are told)
    resources   venues and lecturers
    feeds       calendar feed URLs
"""

from programs.services.changes import (
    program_cancel_sessions,
    program_reschedule,
    session_cancel,
    session_move,
    session_reschedule,
)
from programs.services.clone import clone_defaults, program_clone
from programs.services.common import ConflictError, S, check_numbers
from programs.services.costs import program_costs_save
from programs.services.feeds import calendar_feed_get_or_create, calendar_feed_regenerate
from programs.services.lifecycle import (
    PROGRAM_FIELDS,
    PROGRAM_NUMBERS,
    REOPEN_DAYS,
    TRANSITIONS,
    plan_basis_problem,
    program_create,
    program_plan_waive,
    program_reopen,
    program_reopen_end,
    program_transition,
    program_update,
)
from programs.services.resources import lecturer_save, venue_save
from programs.services.series import (
    EditPlan,
    SessionChange,
    series_create,
    session_edit_plan,
    session_update,
)
from programs.services.sessions import EDIT_FIELDS, SESSION_FIELDS, session_create, session_delete

__all__ = [
    "S",
    "TRANSITIONS",
    "REOPEN_DAYS",
    "PROGRAM_FIELDS",
    "ConflictError",
    "program_reopen",
    "program_reopen_end",
    "check_numbers",
    "PROGRAM_NUMBERS",
    "program_create",
    "program_update",
    "program_transition",
    "plan_basis_problem",
    "program_plan_waive",
    "program_costs_save",
    "clone_defaults",
    "program_clone",
    "SESSION_FIELDS",
    "EDIT_FIELDS",
    "session_create",
    "SessionChange",
    "EditPlan",
    "session_edit_plan",
    "session_update",
    "session_move",
    "session_reschedule",
    "session_cancel",
    "program_cancel_sessions",
    "program_reschedule",
    "session_delete",
    "series_create",
    "venue_save",
    "lecturer_save",
    "calendar_feed_get_or_create",
    "calendar_feed_regenerate",
]
