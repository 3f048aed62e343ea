"""The exact number of queries each page makes, as the role that usually opens it, at both data
sizes of tests/test_query_counts.py (a small program and ten times that). A page that makes more
(or fewer) queries fails the suite: find out why, then change its number here in the same commit
as the change that explains it, as Zulip and healthchecks do. A number that differs by database is
written {"sqlite": n, "postgresql": m}.
"""

BUDGETS = {
    "accounts:otp_setup": 8,
    "accounts:password_change": 5,
    "accounts:password_reset": 5,
    "accounts:password_reset_complete": 5,
    "accounts:password_reset_confirm": 6,
    "accounts:password_reset_done": 5,
    "accounts:profile": 7,
    "accounts:sessions": 7,
    "attendance:board": 9,  # counts grouped in SQL (1) + the names it shows (2)
    "attendance:index": 13,
    "attendance:leave_attachment": 5,
    "attendance:leave_detail": 11,  # + the 1/7 leave rule projection (3) for the approver
    "attendance:leave_limit": 8,
    "attendance:leave_list": 9,  # + the 1/7 leave rule summary
    "attendance:leave_new": 12,
    "attendance:ping": 2,
    "attendance:program": 13,  # + the 1/7 leave rule summary
    "attendance:record": 8,
    "attendance:scan": 2,
    "attendance:scan_resume": 2,
    "attendance:screen": 7,  # counts grouped in SQL: 1 query, not the roster (2)
    "attendance:session": 10,
    "credits:compliance": 6,
    "credits:entry": 5,
    "credits:entry_create": 6,
    "credits:entry_edit": 5,
    "credits:evidence": 4,
    "credits:import": 4,
    "credits:import_preview": 5,
    "credits:mine": 18,
    "credits:pick_units": 4,
    "credits:promotion": 11,
    "credits:record": 17,
    "credits:review": 5,
    "devtools:ping": 2,
    "enrollment:groups": 12,  # + the ungrouped count, the shown group's members paginated
    "enrollment:import_preview": 9,
    "enrollment:import_upload": 8,
    "enrollment:liaison": 6,
    "enrollment:mine": 6,
    "enrollment:notice": 11,
    "enrollment:notice_pdf": 9,
    "enrollment:notice_receipt": 9,
    "enrollment:open": 7,
    "enrollment:quota": 11,
    "enrollment:quotas": 11,
    "enrollment:reconciliation": 12,
    "enrollment:reconciliation_export": 9,
    "enrollment:review": 13,
    "enrollment:reviews": 7,  # + the paginator's count
    "enrollment:roster": 11,  # roster and history paginated (counts)
    "evaluation:assignment_create": 7,
    "evaluation:assignment_detail": 12,
    "evaluation:assignment_edit": 7,
    "evaluation:callon": 9,  # who may still be called: a COUNT, not the rows + the tally
    "evaluation:completion": 13,
    "evaluation:credit_policy": 8,
    "evaluation:evaluate": 11,
    "evaluation:followup_mine": 7,
    "evaluation:followup_program": 8,
    "evaluation:index": 11,
    "evaluation:judge_home": 10,
    "evaluation:judge_score": 11,
    "evaluation:lecturer_results": 7,
    "evaluation:program": 12,
    "evaluation:program_results": 8,
    "evaluation:reflection_attachment": 5,
    "evaluation:reflection_review": 8,
    "evaluation:reflection_write": 10,
    "evaluation:review_queue": 6,
    "evaluation:round_board": 7,
    "evaluation:round_create": 8,
    "evaluation:round_detail": 11,
    "evaluation:session_results": 9,
    "evaluation:verify": 6,
    "evaluation:verify_form": 5,
    "healthz": 3,
    "generated_file_approvals": 5,
    "home": 25,
    "inbox": 6,
    "plans:create": 4,  # the unit is a picker: no option list
    "plans:detail": 8,
    "plans:item_create": 5,
    "plans:item_edit": 6,
    "plans:list": 6,
    "plans:pick_units": 4,
    "plans:standards": 6,
    "programs:cancel_sessions": 6,
    "programs:clone": 6,
    "programs:costs": 12,  # + lecturer fees: hours taught, fees paid, lecturers, fee caps
    "programs:create": 6,  # unit and plan item pickers: no option lists
    "programs:detail": 11,
    "programs:edit": 7,  # unit and plan item pickers: the current choices only
    "programs:feed": 6,
    "programs:lecturer_create": 4,
    "programs:lecturer_edit": 6,
    "programs:lecturer_list": 5,
    "programs:list": 7,
    "programs:my_schedule": 8,
    "programs:pick_plan_items": 4,
    "programs:pick_units": 4,
    "programs:plan_execution": 6,  # the unit filter is a picker: no list of every area
    "programs:reschedule": 5,
    "programs:series_create": 10,
    "programs:session_cancel": 9,
    "programs:session_create": 14,
    "programs:session_edit": 17,
    "programs:session_reschedule": 9,
    "programs:timetable": 10,
    "programs:venue_create": 4,
    "programs:venue_edit": 7,
    "programs:venue_list": 6,
    "reports:index": 6,
    "reports:preferences": 6,
    "reports:program_csv": 10,  # export_record: the enrolled count and the audit entry
    "reports:program_exports": 10,
    "reports:statistics": 18,  # rank requirements read from the credits policy rows
    "reports:statistics_xlsx": 16,
    "reports:trainee_search": 5,
}
