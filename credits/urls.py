from django.urls import path

from credits import views

app_name = "credits"

urlpatterns = [
    path("", views.my_record, name="mine"),
    path("people/<int:pk>/", views.record, name="record"),
    path("people/<int:pk>/promotion/", views.promotion, name="promotion"),
    path("entries/new/", views.entry_create, name="entry_create"),
    path("entries/<int:pk>/", views.entry_detail, name="entry"),
    path("entries/<int:pk>/evidence/", views.evidence, name="evidence"),
    path("entries/<int:pk>/decide/", views.entry_decide, name="decide"),
    path("review/", views.review, name="review"),
    path("compliance/", views.compliance, name="compliance"),
    path("import/", views.online_import, name="import"),
    path("import/<int:pk>/", views.online_import_preview, name="import_preview"),
    path("import/<int:pk>/confirm/", views.online_import_confirm, name="import_confirm"),
]
