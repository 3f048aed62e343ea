from django.urls import path

from evaluation import views

app_name = "evaluation"

urlpatterns = [
    path("", views.index, name="index"),
    path("programs/<int:pk>/", views.program, name="program"),
    # Reflections
    path(
        "programs/<int:program_pk>/reflections/new/",
        views.assignment_create,
        name="assignment_create",
    ),
    path("reflections/<int:pk>/", views.assignment_detail, name="assignment_detail"),
    path("reflections/<int:pk>/edit/", views.assignment_edit, name="assignment_edit"),
    path("reflections/<int:pk>/write/", views.reflection_write, name="reflection_write"),
    path("reflections/<int:pk>/autosave/", views.reflection_autosave, name="reflection_autosave"),
    path("reflections/<int:pk>/submit/", views.reflection_submit, name="reflection_submit"),
    path("reflections/<int:pk>/collection/", views.collection_pdf, name="collection_pdf"),
    path("reviews/", views.review_queue, name="review_queue"),
    path(
        "reflections/attachment/<int:pk>/",
        views.reflection_attachment,
        name="reflection_attachment",
    ),
    path("reviews/<int:pk>/", views.reflection_review, name="reflection_review"),
    # Course evaluation
    path("sessions/<int:session_pk>/evaluate/", views.evaluate, name="evaluate"),
    path("sessions/<int:session_pk>/results/", views.session_results, name="session_results"),
    path("sessions/<int:session_pk>/remind/", views.evaluation_remind, name="evaluation_remind"),
    path("programs/<int:program_pk>/results/", views.program_results, name="program_results"),
    path("lecturer/", views.lecturer_results, name="lecturer_results"),
    # Live scoring
    path("programs/<int:program_pk>/scoring/new/", views.round_create, name="round_create"),
    path("scoring/<int:pk>/", views.round_detail, name="round_detail"),
    path("scoring/<int:pk>/board/", views.round_board, name="round_board"),
    path("scoring/<int:pk>/lock/", views.round_lock, name="round_lock"),
    path("scoring/<int:pk>/export/", views.round_export, name="round_export"),
    path("scoring/<int:pk>/judge/", views.judge_home, name="judge_home"),
    path("scoring/<int:pk>/judge/<int:presenter_pk>/", views.judge_score, name="judge_score"),
    # Call-on
    path("sessions/<int:session_pk>/callon/", views.callon, name="callon"),
    path("sessions/<int:session_pk>/callon/pick/", views.callon_pick, name="callon_pick"),
    # Completion and certificates
    path("programs/<int:program_pk>/completion/", views.completion, name="completion"),
    path(
        "programs/<int:program_pk>/completion/confirm/",
        views.completion_confirm,
        name="completion_confirm",
    ),
    path("certificates/<int:pk>/pdf/", views.certificate_pdf, name="certificate_pdf"),
    path("verify/", views.verify_form, name="verify_form"),
    path("verify/<path:serial>/", views.verify, name="verify"),
    # Credit hours
    path("credits/", views.credits_mine, name="credits_mine"),
    path("credits/overview/", views.credits_overview, name="credits_overview"),
    path("credits/requirements/", views.credit_requirements, name="credit_requirements"),
    path("programs/<int:program_pk>/credit-policy/", views.credit_policy, name="credit_policy"),
    # Follow-up
    path("followup/", views.followup_mine, name="followup_mine"),
    path("followup/new/", views.commitment_create, name="commitment_create"),
    path("followup/<int:pk>/progress/", views.commitment_progress, name="commitment_progress"),
    path("programs/<int:program_pk>/followup/", views.followup_program, name="followup_program"),
    path(
        "programs/<int:program_pk>/followup/remind/", views.followup_remind, name="followup_remind"
    ),
]
