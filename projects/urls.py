from projects.views import approval, calls, chain, formal_review, notice, proposals, shortlist, task_books

app_name = "projects"

urlpatterns = [
    *calls.urlpatterns,
    *proposals.urlpatterns,
    *chain.urlpatterns,
    *formal_review.urlpatterns,
    *notice.urlpatterns,
    *approval.urlpatterns,
    *task_books.urlpatterns,
    *shortlist.urlpatterns,
]
