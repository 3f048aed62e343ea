from django.urls import path

from core import files, views

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("inbox/", views.inbox, name="inbox"),
    path("inbox/read/", views.inbox_mark_read, name="inbox_mark_read"),
    path("files/<uuid:pk>/", views.generated_file_status, name="generated_file"),
    path(
        "files/<uuid:pk>/download/", files.generated_file_download, name="generated_file_download"
    ),
]
