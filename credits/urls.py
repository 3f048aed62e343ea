from django.urls import path

from credits import views

app_name = "credits"

urlpatterns = [
    path("", views.my_record, name="mine"),
    path("people/<int:pk>/", views.record, name="record"),
    path("people/<int:pk>/promotion/", views.promotion, name="promotion"),
    path("people/<int:pk>/profile/", views.profile, name="profile"),
    path("record.pdf", views.record_file, {"fmt": "pdf"}, name="mine_pdf"),
    path("record.xlsx", views.record_file, {"fmt": "xlsx"}, name="mine_xlsx"),
    path("people/<int:pk>/record.pdf", views.record_file, {"fmt": "pdf"}, name="record_pdf"),
    path("people/<int:pk>/record.xlsx", views.record_file, {"fmt": "xlsx"}, name="record_xlsx"),
    path("entries/new/", views.entry_create, name="entry_create"),
    path("entries/<int:pk>/", views.entry_detail, name="entry"),
    path("entries/<int:pk>/evidence/", views.evidence, name="evidence"),
    path("entries/<int:pk>/decide/", views.entry_decide, name="decide"),
    path("entries/<int:pk>/edit/", views.entry_edit, name="entry_edit"),
    path("entries/<int:pk>/revoke/", views.entry_revoke, name="entry_revoke"),
    path("review/", views.review, name="review"),
    path("compliance/", views.compliance, name="compliance"),
    path("compliance/units/", views.pick_units, name="pick_units"),
    path("import/", views.online_import, name="import"),
    path("import/<int:pk>/", views.online_import_preview, name="import_preview"),
    path("import/<int:pk>/confirm/", views.online_import_confirm, name="import_confirm"),
]
