from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from core.access import AUTHENTICATED, PUBLIC, declare_access
from core.deadlines import registry, selectors, services
from core.deadlines.ics import render_feed
from core.models import CalendarFeedToken, Obligation

ACTIVE_STATES = (Obligation.State.OPEN, Obligation.State.OVERDUE)


def _kind_label(code: str) -> str:
    try:
        return str(registry.kind(code).label)
    except LookupError:
        return code


def _rows(obligations, now):
    today = timezone.localtime(now).date()
    rows = []
    for obligation in obligations:
        days_left = (timezone.localtime(obligation.due_at).date() - today).days
        rows.append(
            {
                "obligation": obligation,
                "kind_label": _kind_label(obligation.kind),
                "days_left": days_left,
                "days_overdue": max(-days_left, 0),
            }
        )
    return rows


@require_GET
@declare_access(AUTHENTICATED)
def my_deadlines(request: HttpRequest) -> HttpResponse:
    """我的期限: the user's own deadlines, soonest first, with the rule behind each."""
    state = request.GET.get("state", "active")
    obligations = selectors.obligations_own(request.user)
    if state == "active":
        obligations = obligations.filter(state__in=ACTIVE_STATES)
    elif state in Obligation.State.values:
        obligations = obligations.filter(state=state)
    kind = request.GET.get("kind", "")
    if kind:
        obligations = obligations.filter(kind=kind)
    now = timezone.now()
    page = Paginator(obligations.order_by("due_at", "id"), 50).get_page(request.GET.get("page"))
    managed_overdue = selectors.obligations_overdue_managed_by(request.user).order_by("due_at", "id")[:100]
    feed = CalendarFeedToken.objects.filter(user=request.user).first()
    return render(
        request,
        "core/deadlines.html",
        {
            "page": page,
            "rows": _rows(page.object_list, now),
            "managed_overdue_rows": _rows(managed_overdue, now),
            "is_agency": request.user.has_role("agency"),
            "state": state,
            "kind": kind,
            "states": [("active", _("Open and overdue")), *Obligation.State.choices],
            "kinds": [(code, str(definition.label)) for code, definition in sorted(registry.kinds().items())],
            "feed_url": request.build_absolute_uri(f"/deadlines/feed/{feed.token}.ics") if feed else "",
        },
    )


@require_POST
@declare_access(AUTHENTICATED)
def calendar_feed_reset(request: HttpRequest) -> HttpResponse:
    """Create (or replace) the user's secret calendar feed URL."""
    if CalendarFeedToken.objects.filter(user=request.user).exists():
        services.calendar_feed_token_reset(user=request.user)
        messages.success(request, _("A new calendar address was made; the old one no longer works."))
    else:
        services.calendar_feed_token_for(request.user)
        messages.success(request, _("Your calendar address is ready: add it to your calendar application."))
    return redirect("core:deadlines")


@require_GET
@declare_access(PUBLIC)
def calendar_feed(request: HttpRequest, token: str) -> HttpResponse:
    """The user's deadlines as iCalendar; the secret token in the URL is the credential."""
    feed = CalendarFeedToken.objects.select_related("user").filter(token=token, user__is_active=True).first()
    if feed is None:
        raise Http404
    obligations = selectors.obligations_own(feed.user).filter(state__in=ACTIVE_STATES).order_by("due_at", "id")
    response = HttpResponse(
        render_feed(obligations, host=request.get_host().split(":")[0]), content_type="text/calendar; charset=utf-8"
    )
    response["Content-Disposition"] = 'inline; filename="deadlines.ics"'
    response["Cache-Control"] = "private, max-age=300"
    return response
