from reviews.views import assignment, library, scoring

app_name = "reviews"

urlpatterns = [
    *library.urlpatterns,
    *assignment.urlpatterns,
    *scoring.urlpatterns,
]
