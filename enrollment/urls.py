from django.urls import path

from enrollment.views import (
    exports,
    groups,
    imports,
    notices,
    quotas,
    reconciliation,
    review,
    trainee,
)

app_name = "enrollment"

urlpatterns = [
    # trainees
    path("open/", trainee.open_programs, name="open"),
    path("mine/", trainee.mine, name="mine"),
    path("program/<int:pk>/apply/", trainee.apply, name="apply"),
    path("entry/<int:pk>/withdraw/", trainee.withdraw, name="withdraw"),
    # program managers
    path("reviews/", review.reviews, name="reviews"),
    path("program/<int:pk>/", review.roster, name="roster"),
    path("program/<int:pk>/review/", review.review, name="review"),
    path("program/<int:pk>/quotas/", quotas.quotas, name="quotas"),
    path("program/<int:pk>/policy/", quotas.policy, name="policy"),
    path("entry/<int:pk>/confirm/", review.nomination_confirm, name="nomination_confirm"),
    path("entry/<int:pk>/send-back/", review.nomination_send_back, name="nomination_send_back"),
    path("entry/<int:pk>/approve/", review.application_approve, name="application_approve"),
    path("entry/<int:pk>/reject/", review.application_reject, name="application_reject"),
    path("withdrawal/<int:pk>/approve/", review.withdrawal_approve, name="withdrawal_approve"),
    path("withdrawal/<int:pk>/reject/", review.withdrawal_reject, name="withdrawal_reject"),
    path(
        "substitution/<int:pk>/approve/",
        notices.substitution_approve,
        name="substitution_approve",
    ),
    path(
        "substitution/<int:pk>/refuse/",
        notices.substitution_refuse,
        name="substitution_refuse",
    ),
    path("program/<int:pk>/import/", imports.import_upload, name="import_upload"),
    path("import/<int:pk>/", imports.import_preview, name="import_preview"),
    path("import/<int:pk>/confirm/", imports.import_confirm, name="import_confirm"),
    path("import/<int:pk>/cancel/", imports.import_cancel, name="import_cancel"),
    path("import/<int:pk>/unit/", imports.import_unit_resolve, name="import_unit_resolve"),
    path("import/<int:pk>/row/<int:row>/", imports.import_row_edit, name="import_row_edit"),
    path("program/<int:pk>/groups/", groups.groups, name="groups"),
    path("program/<int:pk>/groups/generate/", groups.groups_generate, name="groups_generate"),
    path("program/<int:pk>/groups/move/", groups.group_move, name="group_move"),
    path("group/<int:pk>/edit/", groups.group_edit, name="group_edit"),
    path("program/<int:pk>/export.xlsx", exports.export_xlsx, name="export_xlsx"),
    path("program/<int:pk>/export-pdf/", exports.export_pdf, name="export_pdf"),
    path("program/<int:pk>/notice/", notices.notice, name="notice"),
    path("program/<int:pk>/notice/send/", notices.notice_send, name="notice_send"),
    path("program/<int:pk>/notice/remind/", notices.notice_remind, name="notice_remind"),
    path("program/<int:pk>/notice.pdf", notices.notice_pdf, name="notice_pdf"),
    path(
        "program/<int:pk>/reconciliation/",
        reconciliation.reconciliation,
        name="reconciliation",
    ),
    path(
        "program/<int:pk>/reconciliation/decide/",
        reconciliation.reconciliation_decide,
        name="reconciliation_decide",
    ),
    path(
        "program/<int:pk>/reconciliation/close/",
        reconciliation.reconciliation_close,
        name="reconciliation_close",
    ),
    path(
        "program/<int:pk>/reconciliation/reopen/",
        reconciliation.reconciliation_reopen,
        name="reconciliation_reopen",
    ),
    path(
        "program/<int:pk>/reconciliation.xlsx",
        reconciliation.reconciliation_export,
        name="reconciliation_export",
    ),
    # unit liaisons
    path("receipt/<int:pk>/", notices.notice_receipt, name="notice_receipt"),
    path("receipt/<int:pk>/decline/", notices.notice_decline, name="notice_decline"),
    path("liaison/", quotas.liaison, name="liaison"),
    path("quota/<int:pk>/", quotas.quota, name="quota"),
    path("quota/<int:pk>/nominate/", quotas.nominate, name="nominate"),
    path("entry/<int:pk>/substitute/", quotas.substitute, name="substitute"),
]
