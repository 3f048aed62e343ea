"""Routed under /dev/ by config/urls.py outside production only."""

from django.urls import path

from devtools import views

app_name = "devtools"
urlpatterns = [
    path("ping/", views.ping, name="ping"),
]
