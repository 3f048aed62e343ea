from django.urls import path

from attendance import views

app_name = "attendance"

urlpatterns = [
    path("", views.index, name="index"),
    path("scan/resume/", views.scan_resume, name="scan_resume"),
    path("scan/<str:token>/", views.scan, name="scan"),
    path("ping/", views.ping, name="ping"),
    path("sessions/<int:pk>/", views.session_detail, name="session"),
    path("sessions/<int:pk>/mark/", views.mark, name="mark"),
    path("sessions/<int:pk>/board/", views.board, name="board"),
    path("sessions/<int:pk>/venues/<int:venue_pk>/screen/", views.screen, name="screen"),
    path("records/<int:pk>/", views.record_detail, name="record"),
    path("records/<int:pk>/clear-flag/", views.record_clear_flag, name="record_clear_flag"),
    path("programs/<int:pk>/", views.program_detail, name="program"),
    path("programs/<int:pk>/leave/", views.leave_list, name="leave_list"),
    path("programs/<int:pk>/leave/new/", views.leave_new, name="leave_new"),
    path("programs/<int:pk>/leave-limit/", views.leave_limit, name="leave_limit"),
    path("leave-limit/<int:pk>/decide/", views.leave_limit_decide, name="leave_limit_decide"),
    path("leave/<int:pk>/", views.leave_detail, name="leave_detail"),
    path("leave/<int:pk>/decide/", views.leave_decide, name="leave_decide"),
    path("leave/<int:pk>/cancel/", views.leave_cancel, name="leave_cancel"),
    path("leave/<int:pk>/attachment/", views.leave_attachment, name="leave_attachment"),
]
