from django.urls import path

from core import views
from core.deadlines import views as deadline_views

app_name = "core"

urlpatterns = [
    path("dashboard/", views.dashboard, name="dashboard"),
    path("notifications/", views.notification_list, name="notifications"),
    path("notifications/read/", views.notifications_mark_read, name="notifications_mark_read"),
    path("deadlines/", deadline_views.my_deadlines, name="deadlines"),
    path("deadlines/feed/", deadline_views.calendar_feed_reset, name="calendar_feed_reset"),
    path("deadlines/feed/<str:token>.ics", deadline_views.calendar_feed, name="calendar_feed"),
    path("audit/", views.audit_list, name="audit_list"),
    path("audit/<str:content_type_key>/<str:object_id>/", views.audit_for_object, name="audit_object"),
]
