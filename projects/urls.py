from django.urls import path

from projects import views

app_name = "projects"

urlpatterns = [
    path("calls/", views.call_list, name="call_list"),
    path("calls/new/", views.call_create, name="call_create"),
    path("calls/<int:pk>/", views.call_detail, name="call_detail"),
    path("calls/<int:pk>/edit/", views.call_edit, name="call_edit"),
    path("calls/<int:pk>/directions/", views.call_direction_add, name="call_direction_add"),
    path("calls/<int:pk>/publish/", views.call_publish, name="call_publish"),
]
