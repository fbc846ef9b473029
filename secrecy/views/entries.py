"""Need-to-know entries naming an organisation (SECRETS-LAW §16(2)): the organisation's unit
administrators and secrecy officers see the entries naming it and name its people, who then
know of the decision. Anyone else gets 404."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import Prefetch
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from core.access import declare_access, roles
from core.exceptions import RuleViolation, StateConflict
from secrecy import selectors, services
from secrecy.forms import NamePersonForm
from secrecy.models import KnowledgeGrant
from secrecy.views import scopes

NAMERS = roles("unit_admin", "secrecy_officer", object_scoped=True)


@require_GET
@declare_access(roles("unit_admin", "secrecy_officer"))
def organisation_grants(request: HttpRequest) -> HttpResponse:
    named = KnowledgeGrant.objects.filter(revoked_at__isnull=True).select_related("user").order_by("granted_at", "id")
    grants = list(
        scopes.organisation_grants_for_user(request.user)
        .prefetch_related(
            Prefetch("named", queryset=named, to_attr="named_people"),
            Prefetch("classification__disputes", queryset=scopes.open_disputes().queryset),
        )
        .order_by("-granted_at", "-id")
    )
    for grant in grants:
        grant.name_form = NamePersonForm(organisation_id=grant.organisation_id, auto_id=f"id_name{grant.pk}_%s")
    return render(request, "secrecy/organisation_grants.html", {"grants": grants})


@require_POST
@declare_access(NAMERS)
def grant_name_person(request: HttpRequest, grant_pk: int) -> HttpResponse:
    grant = scopes.organisation_grant_get_for_user(request.user, grant_pk)
    form = NamePersonForm(request.POST, organisation_id=grant.organisation_id)
    if not form.is_valid():
        messages.error(request, _("Choose a person of your organisation."))
    else:
        try:
            services.grant_name_person(actor=request.user, grant=grant, user=form.cleaned_data["user"])
        except PermissionDenied as error:
            raise Http404 from error
        except (RuleViolation, StateConflict) as error:
            messages.error(request, error.message)
        else:
            messages.success(
                request,
                _("%(person)s is on the need-to-know list of “%(name)s”.")
                % {"person": form.cleaned_data["user"], "name": grant.classification.name},
            )
    if selectors.classifications_for_user(request.user).filter(pk=grant.classification_id).exists():
        return redirect("secrecy:classification_detail", pk=grant.classification_id)
    return redirect("secrecy:organisation_grants")


urlpatterns = [
    path("secrecy/need-to-know/", organisation_grants, name="organisation_grants"),
    path("secrecy/need-to-know/<int:grant_pk>/name/", grant_name_person, name="grant_name_person"),
]
