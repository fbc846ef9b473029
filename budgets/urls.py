from django.urls import path

from budgets import views

app_name = "budgets"

urlpatterns = [
    path("budgets/calculator/", views.indirect_cap_calculator, name="calculator"),
]
