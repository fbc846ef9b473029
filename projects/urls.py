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

urlpatterns += [
    path("proposals/<int:pk>/formal-review/open/", views.formal_review_open, name="formal_review_open"),
    path("proposals/<int:pk>/formal-review/decide/", views.formal_review_decide, name="formal_review_decide"),
    path("proposals/<int:pk>/appeal/", views.appeal_file, name="appeal_file"),
    path("proposals/<int:pk>/appeals/<int:appeal_pk>/answer/", views.appeal_answer, name="appeal_answer"),
    path("proposals/<int:pk>/propose/", views.proposal_propose, name="proposal_propose"),
    path(
        "proposals/<int:pk>/objections/<int:objection_pk>/resolve/", views.objection_resolve, name="objection_resolve"
    ),
    path("proposals/<int:pk>/approve/", views.approval_issue, name="approval_issue"),
    path("calls/<int:pk>/compliance/", views.compliance_review, name="compliance_review"),
    path("public-notices/", views.public_notice_list, name="public_notice_list"),
    path("public-notices/<int:pk>/", views.public_notice_detail, name="public_notice_detail"),
    path("projects/<int:pk>/", views.project_detail, name="project_detail"),
]

urlpatterns += [
    path("task-books/<int:pk>/", views.task_book_detail, name="task_book_detail"),
    path("task-books/<int:pk>/save/", views.task_book_save, name="task_book_save"),
    path("task-books/<int:pk>/indicators/<int:indicator_pk>/", views.task_book_indicator, name="task_book_indicator"),
    path("task-books/<int:pk>/pdf/", views.task_book_pdf, name="task_book_pdf"),
    path("task-books/<int:pk>/<slug:action>/", views.task_book_action, name="task_book_action"),
]

urlpatterns += [
    path("proposals/<int:pk>/people/<int:person_pk>/", views.proposal_person_edit, name="proposal_person_edit"),
]

urlpatterns += [
    path("proposals/<int:pk>/first-round/", views.first_round_score, name="first_round_score"),
    path("proposals/<int:pk>/defense/", views.defense_score, name="defense_score"),
    path("proposals/<int:pk>/formal/", views.formal_from_pre, name="formal_from_pre"),
    path("calls/<int:pk>/shortlist/", views.shortlist_make, name="shortlist_make"),
]
