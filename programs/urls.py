from django.urls import path

from programs.views import (
    changes,
    costs,
    execution,
    pickers,
    programs,
    resources,
    schedule,
    timetable,
)

app_name = "programs"

urlpatterns = [
    path("", programs.program_list, name="list"),
    path("new/", programs.program_create, name="create"),
    path("<int:pk>/", programs.program_detail, name="detail"),
    path("<int:pk>/edit/", programs.program_edit, name="edit"),
    path("<int:pk>/transition/", programs.program_transition, name="transition"),
    path("<int:pk>/clone/", programs.program_clone, name="clone"),
    path("<int:pk>/reopen/", programs.program_reopen, name="reopen"),
    path("<int:pk>/reopen/end/", programs.program_reopen_end, name="reopen_end"),
    path("<int:pk>/costs/", costs.program_costs, name="costs"),
    path("<int:pk>/plan-waiver/", programs.program_plan_waive, name="plan_waive"),
    path("<int:pk>/cancel/", changes.program_cancel_sessions, name="cancel_sessions"),
    path("<int:pk>/reschedule/", changes.program_reschedule, name="reschedule"),
    path("<int:pk>/timetable/", timetable.timetable, name="timetable"),
    path("<int:pk>/sessions/new/", timetable.session_create, name="session_create"),
    path("<int:pk>/series/new/", timetable.series_create, name="series_create"),
    path("sessions/<int:pk>/edit/", timetable.session_edit, name="session_edit"),
    path("sessions/<int:pk>/move/", timetable.session_move, name="session_move"),
    path("sessions/<int:pk>/delete/", timetable.session_delete, name="session_delete"),
    path("sessions/<int:pk>/cancel/", changes.session_cancel, name="session_cancel"),
    path("sessions/<int:pk>/reschedule/", changes.session_reschedule, name="session_reschedule"),
    path("venues/", resources.venue_list, name="venue_list"),
    path("venues/new/", resources.venue_edit, name="venue_create"),
    path("venues/<int:pk>/", resources.venue_edit, name="venue_edit"),
    path("lecturers/", resources.lecturer_list, name="lecturer_list"),
    path("lecturers/new/", resources.lecturer_edit, name="lecturer_create"),
    path("lecturers/<int:pk>/", resources.lecturer_edit, name="lecturer_edit"),
    path(
        "lecturers/<int:pk>/feed/",
        resources.lecturer_feed_regenerate,
        name="lecturer_feed_regenerate",
    ),
    path("pick/units/", pickers.pick_units, name="pick_units"),
    path("pick/plan-items/", pickers.pick_plan_items, name="pick_plan_items"),
    path("execution/", execution.plan_execution, name="plan_execution"),
    path("schedule/", schedule.my_schedule, name="my_schedule"),
    path("schedule/feed/", schedule.feed_regenerate, name="feed_regenerate"),
    path("feed/<str:token>.ics", schedule.feed, name="feed"),
]
