from django.urls import path

from enrollment import views, views_notices, views_reconciliation

app_name = "enrollment"

urlpatterns = [
    # trainees
    path("open/", views.open_programs, name="open"),
    path("mine/", views.mine, name="mine"),
    path("program/<int:pk>/apply/", views.apply, name="apply"),
    path("entry/<int:pk>/withdraw/", views.withdraw, name="withdraw"),
    # program managers
    path("reviews/", views.reviews, name="reviews"),
    path("program/<int:pk>/", views.roster, name="roster"),
    path("program/<int:pk>/review/", views.review, name="review"),
    path("program/<int:pk>/quotas/", views.quotas, name="quotas"),
    path("program/<int:pk>/policy/", views.policy, name="policy"),
    path("entry/<int:pk>/confirm/", views.nomination_confirm, name="nomination_confirm"),
    path("entry/<int:pk>/send-back/", views.nomination_send_back, name="nomination_send_back"),
    path("entry/<int:pk>/approve/", views.application_approve, name="application_approve"),
    path("entry/<int:pk>/reject/", views.application_reject, name="application_reject"),
    path("withdrawal/<int:pk>/approve/", views.withdrawal_approve, name="withdrawal_approve"),
    path("withdrawal/<int:pk>/reject/", views.withdrawal_reject, name="withdrawal_reject"),
    path(
        "substitution/<int:pk>/approve/",
        views_notices.substitution_approve,
        name="substitution_approve",
    ),
    path(
        "substitution/<int:pk>/refuse/",
        views_notices.substitution_refuse,
        name="substitution_refuse",
    ),
    path("program/<int:pk>/import/", views.import_upload, name="import_upload"),
    path("import/<int:pk>/", views.import_preview, name="import_preview"),
    path("import/<int:pk>/confirm/", views.import_confirm, name="import_confirm"),
    path("import/<int:pk>/cancel/", views.import_cancel, name="import_cancel"),
    path("import/<int:pk>/unit/", views.import_unit_resolve, name="import_unit_resolve"),
    path("import/<int:pk>/row/<int:row>/", views.import_row_edit, name="import_row_edit"),
    path("program/<int:pk>/groups/", views.groups, name="groups"),
    path("program/<int:pk>/groups/generate/", views.groups_generate, name="groups_generate"),
    path("program/<int:pk>/groups/move/", views.group_move, name="group_move"),
    path("group/<int:pk>/edit/", views.group_edit, name="group_edit"),
    path("program/<int:pk>/export.xlsx", views.export_xlsx, name="export_xlsx"),
    path("program/<int:pk>/export-pdf/", views.export_pdf, name="export_pdf"),
    path("program/<int:pk>/notice/", views_notices.notice, name="notice"),
    path("program/<int:pk>/notice/send/", views_notices.notice_send, name="notice_send"),
    path("program/<int:pk>/notice/remind/", views_notices.notice_remind, name="notice_remind"),
    path("program/<int:pk>/notice.pdf", views_notices.notice_pdf, name="notice_pdf"),
    path(
        "program/<int:pk>/reconciliation/",
        views_reconciliation.reconciliation,
        name="reconciliation",
    ),
    path(
        "program/<int:pk>/reconciliation/decide/",
        views_reconciliation.reconciliation_decide,
        name="reconciliation_decide",
    ),
    path(
        "program/<int:pk>/reconciliation/close/",
        views_reconciliation.reconciliation_close,
        name="reconciliation_close",
    ),
    path(
        "program/<int:pk>/reconciliation/reopen/",
        views_reconciliation.reconciliation_reopen,
        name="reconciliation_reopen",
    ),
    path(
        "program/<int:pk>/reconciliation.xlsx",
        views_reconciliation.reconciliation_export,
        name="reconciliation_export",
    ),
    # unit liaisons
    path("receipt/<int:pk>/", views_notices.notice_receipt, name="notice_receipt"),
    path("receipt/<int:pk>/decline/", views_notices.notice_decline, name="notice_decline"),
    path("liaison/", views.liaison, name="liaison"),
    path("quota/<int:pk>/", views.quota, name="quota"),
    path("quota/<int:pk>/nominate/", views.nominate, name="nominate"),
    path("entry/<int:pk>/substitute/", views.substitute, name="substitute"),
]
