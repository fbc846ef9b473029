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

urlpatterns += [
    path("calls/<int:pk>/apply/", views.proposal_start, name="proposal_start"),
    path("proposals/", views.proposal_list, name="proposal_list"),
    path("proposals/<int:pk>/", views.proposal_detail, name="proposal_detail"),
    path("proposals/<int:pk>/save/", views.proposal_save, name="proposal_save"),
    path("proposals/<int:pk>/add/<slug:part>/", views.proposal_add, name="proposal_add"),
    path("proposals/<int:pk>/pledge/", views.proposal_pledge, name="proposal_pledge"),
    path("proposals/<int:pk>/attachments/<int:attachment_pk>/", views.proposal_attachment, name="proposal_attachment"),
    path("proposals/<int:pk>/submit/", views.proposal_submit, name="proposal_submit"),
    path("proposals/<int:pk>/unit-submit/", views.proposal_unit_submit, name="proposal_unit_submit"),
    path("proposals/<int:pk>/recommend/", views.proposal_recommend, name="proposal_recommend"),
    path("proposals/<int:pk>/return/", views.proposal_return, name="proposal_return"),
    path("proposals/<int:pk>/withdraw/", views.proposal_withdraw, name="proposal_withdraw"),
]
