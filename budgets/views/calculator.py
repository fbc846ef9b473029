from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from budgets import selectors
from budgets.forms import IndirectCapForm
from core.access import PUBLIC, declare_access


@require_GET
@declare_access(PUBLIC)
def indirect_cap_calculator(request: HttpRequest) -> HttpResponse:
    """The calculator page for applicants and finance assistants (B2)."""
    form = IndirectCapForm(request.GET or None)
    result = None
    if form.is_valid():
        data = form.cleaned_data
        result = selectors.indirect_cap_for(
            program=data["program"],
            edition=data["edition"],
            direct=data["direct"],
            equipment_purchase=data["equipment_purchase"],
            capital_construction=data["capital_construction"],
            theory=data["theory"],
        )
    return render(request, "budgets/calculator.html", {"form": form, "result": result})
