from django.urls import path

from core import audit_views, files, pii_views, views

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("inbox/", views.inbox, name="inbox"),
    path("inbox/read/", views.inbox_mark_read, name="inbox_mark_read"),
    path("files/<uuid:pk>/", views.generated_file_status, name="generated_file"),
    path("files/approvals/", views.generated_file_approvals, name="generated_file_approvals"),
    path("files/<uuid:pk>/decide/", views.generated_file_approve, name="generated_file_approve"),
    path("pii/<int:pk>/<str:field>/", pii_views.pii_unmask, name="pii_unmask"),
    path("audit/", audit_views.audit_log_page, name="audit_log"),
    path("audit/export.csv", audit_views.audit_log_export, name="audit_log_export"),
    path(
        "files/<uuid:pk>/download/", files.generated_file_download, name="generated_file_download"
    ),
]
