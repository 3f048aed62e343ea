from django.urls import path

from programs import views

app_name = "programs"

urlpatterns = [
    path("", views.program_list, name="list"),
    path("new/", views.program_create, name="create"),
    path("<int:pk>/", views.program_detail, name="detail"),
    path("<int:pk>/edit/", views.program_edit, name="edit"),
    path("<int:pk>/transition/", views.program_transition, name="transition"),
    path("<int:pk>/clone/", views.program_clone, name="clone"),
    path("<int:pk>/reopen/", views.program_reopen, name="reopen"),
    path("<int:pk>/reopen/end/", views.program_reopen_end, name="reopen_end"),
    path("<int:pk>/costs/", views.program_costs, name="costs"),
    path("<int:pk>/plan-waiver/", views.program_plan_waive, name="plan_waive"),
    path("<int:pk>/cancel/", views.program_cancel_sessions, name="cancel_sessions"),
    path("<int:pk>/reschedule/", views.program_reschedule, name="reschedule"),
    path("<int:pk>/timetable/", views.timetable, name="timetable"),
    path("<int:pk>/sessions/new/", views.session_create, name="session_create"),
    path("<int:pk>/series/new/", views.series_create, name="series_create"),
    path("sessions/<int:pk>/edit/", views.session_edit, name="session_edit"),
    path("sessions/<int:pk>/move/", views.session_move, name="session_move"),
    path("sessions/<int:pk>/delete/", views.session_delete, name="session_delete"),
    path("sessions/<int:pk>/cancel/", views.session_cancel, name="session_cancel"),
    path("sessions/<int:pk>/reschedule/", views.session_reschedule, name="session_reschedule"),
    path("venues/", views.venue_list, name="venue_list"),
    path("venues/new/", views.venue_edit, name="venue_create"),
    path("venues/<int:pk>/", views.venue_edit, name="venue_edit"),
    path("lecturers/", views.lecturer_list, name="lecturer_list"),
    path("lecturers/new/", views.lecturer_edit, name="lecturer_create"),
    path("lecturers/<int:pk>/", views.lecturer_edit, name="lecturer_edit"),
    path(
        "lecturers/<int:pk>/feed/", views.lecturer_feed_regenerate, name="lecturer_feed_regenerate"
    ),
    path("execution/", views.plan_execution, name="plan_execution"),
    path("schedule/", views.my_schedule, name="my_schedule"),
    path("schedule/feed/", views.feed_regenerate, name="feed_regenerate"),
    path("feed/<str:token>.ics", views.feed, name="feed"),
]
