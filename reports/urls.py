from django.urls import path

from reports import views

app_name = "reports"

urlpatterns = [
    path("", views.index, name="index"),
    path("programs/<int:pk>/", views.program_exports, name="program_exports"),
    path("programs/<int:pk>/export/", views.program_export_request, name="program_export"),
    path("programs/<int:pk>/attendance.csv", views.program_csv, name="program_csv"),
    path("trainees/", views.trainee_search, name="trainee_search"),
    path("trainees/<int:pk>/", views.trainee_record, name="trainee_record"),
    path("trainees/<int:pk>/export/", views.trainee_export_request, name="trainee_export"),
    path("me/", views.my_record, name="my_record"),
    path("statistics/", views.statistics, name="statistics"),
    path("statistics.xlsx", views.statistics_xlsx, name="statistics_xlsx"),
    path("preferences/", views.preferences, name="preferences"),
]
