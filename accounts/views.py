from __future__ import annotations

from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm
from django.shortcuts import render
from django.utils.translation import gettext as _


def lockout(request, response=None, credentials=None):
    """Shown instead of the login page once an account is locked by django-axes."""
    hours = settings.AXES_COOLOFF_TIME
    minutes = round(float(hours) * 60) if hours else None
    if minutes:
        message = _(
            "This account is locked after %(limit)d failed login attempts. "
            "Try again in %(minutes)d minutes, or ask your unit administrator to unlock it."
        ) % {"limit": settings.AXES_FAILURE_LIMIT, "minutes": minutes}
    else:
        message = _(
            "This account is locked after %(limit)d failed login attempts. Ask your unit administrator to unlock it."
        ) % {"limit": settings.AXES_FAILURE_LIMIT}
    return render(
        request,
        "registration/login.html",
        {"form": AuthenticationForm(request), "lockout_message": message, "failure_limit": settings.AXES_FAILURE_LIMIT},
        status=429,
    )
