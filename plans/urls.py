from django.urls import path

from plans import views

app_name = "plans"

urlpatterns = [
    path("", views.plan_list, name="list"),
    path("new/", views.plan_create, name="create"),
    path("<int:pk>/", views.plan_detail, name="detail"),
    path("<int:pk>/items/new/", views.item_create, name="item_create"),
    path("<int:pk>/submit/", views.plan_submit, name="submit"),
    path("items/<int:pk>/edit/", views.item_edit, name="item_edit"),
    path("items/<int:pk>/delete/", views.item_delete, name="item_delete"),
    path("items/<int:pk>/review/", views.item_review, name="item_review"),
    path("standards/", views.standards, name="standards"),
    path("pick/units/", views.pick_units, name="pick_units"),
]
