"""Need-to-know entries naming an organisation (SECRETS-LAW §16(2)): the organisation's unit
administrators and secrecy officers see the entries naming it and name its people, who then
know of the decision. Anyone else gets 404."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from core.access import declare_access, roles
from core.refusals import refusals
from secrecy import selectors, services
from secrecy.forms import NamePersonForm

NAMERS = roles("unit_admin", "secrecy_officer", object_scoped=True)


@require_GET
@declare_access(roles("unit_admin", "secrecy_officer"))
def organisation_grants(request: HttpRequest) -> HttpResponse:
    grants = selectors.organisation_grants_with_people(request.user)
    for grant in grants:
        grant.name_form = NamePersonForm(organisation_id=grant.organisation_id, auto_id=f"id_name{grant.pk}_%s")
    return render(request, "secrecy/organisation_grants.html", {"grants": grants})


@require_POST
@declare_access(NAMERS)
def grant_name_person(request: HttpRequest, grant_pk: int) -> HttpResponse:
    grant = selectors.organisation_grant_get_for_user(request.user, grant_pk)
    form = NamePersonForm(request.POST, organisation_id=grant.organisation_id)
    if not form.is_valid():
        messages.error(request, _("Choose a person of your organisation."))
    else:
        with refusals(request) as outcome:
            services.grant_name_person(actor=request.user, grant=grant, user=form.cleaned_data["user"])
        if not outcome.refused:
            messages.success(
                request,
                _("%(person)s is on the need-to-know list of “%(name)s”.")
                % {"person": form.cleaned_data["user"], "name": grant.classification.name},
            )
    if selectors.knows(request.user, grant.classification_id):
        return redirect("secrecy:classification_detail", pk=grant.classification_id)
    return redirect("secrecy:organisation_grants")


urlpatterns = [
    path("secrecy/need-to-know/", organisation_grants, name="organisation_grants"),
    path("secrecy/need-to-know/<int:grant_pk>/name/", grant_name_person, name="grant_name_person"),
]
