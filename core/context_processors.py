from __future__ import annotations

from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from core import calendar, navigation, selectors


def portal(request) -> dict:
    user = getattr(request, "user", None)
    context = {
        "portal_name": settings.PORTAL_NAME,
        "embedded_mode": settings.EMBEDDED_DATABASE or settings.EMBEDDED_BROKER,
    }
    if user is None or not user.is_authenticated:
        return context
    context["navigation"] = [
        {"label": item.label, "url": reverse(item.url_name), "active": request.path.startswith(reverse(item.url_name))}
        for item in navigation.items_for_user(user)
    ]
    context["unread_notification_count"] = selectors.unread_notification_count(user)
    if user.is_staff:
        this_year = timezone.localdate().year
        context["provisional_calendar_years"] = calendar.provisional_years(range(this_year, this_year + 2))
    return context
