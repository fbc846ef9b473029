from django.urls import path

from budgets.views import adjustments, book, documents, review, spending
from budgets.views.calculator import indirect_cap_calculator

app_name = "budgets"

urlpatterns = [
    path("budgets/calculator/", indirect_cap_calculator, name="calculator"),
    *book.urlpatterns,
    *review.urlpatterns,
    *adjustments.urlpatterns,
    *spending.urlpatterns,
    *documents.urlpatterns,
]
