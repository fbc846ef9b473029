from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core.paginator import Paginator
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.templatetags.static import static
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from config.celery import app as celery_app
from core import calendar, selectors, services
from core.access import AUTHENTICATED, PUBLIC, declare_access, roles
from core.dashboard import todo_items_for_user
from core.filters import AuditEventFilter
from core.roles import Role


@require_GET
@declare_access(PUBLIC)
def home(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("core:dashboard")
    return redirect("login")


@require_GET
@declare_access(AUTHENTICATED)
def dashboard(request: HttpRequest) -> HttpResponse:
    today = timezone.localdate()
    return render(
        request,
        "core/dashboard.html",
        {
            "todo_items": todo_items_for_user(request.user),
            "recent_notifications": selectors.notifications_for_user(request.user)[:5],
            "today": today,
            "today_is_working_day": calendar.is_working_day(today),
            "role_labels": [Role(code).label for code in sorted(request.user.role_codes) if code in Role.values],
        },
    )


@require_GET
@declare_access(AUTHENTICATED)
def notification_list(request: HttpRequest) -> HttpResponse:
    page = Paginator(selectors.notifications_for_user(request.user), 30).get_page(request.GET.get("page"))
    return render(request, "core/notification_list.html", {"page": page})


@require_POST
@declare_access(AUTHENTICATED)
def notifications_mark_read(request: HttpRequest) -> HttpResponse:
    ids = [int(value) for value in request.POST.getlist("id") if value.isdigit()] or None
    services.notifications_mark_read(user=request.user, ids=ids)
    return redirect("core:notifications")


@require_GET
@declare_access(roles("admin", "ministry"))
def audit_list(request: HttpRequest) -> HttpResponse:
    events = AuditEventFilter(request.GET, queryset=selectors.audit_events_for_user(request.user))
    page = Paginator(events.qs, 50).get_page(request.GET.get("page"))
    return render(request, "core/audit_list.html", {"filter": events, "page": page})


@require_GET
@declare_access(roles("admin", "ministry", object_scoped=True))
def audit_for_object(request: HttpRequest, content_type_key: str, object_id: str) -> HttpResponse:
    content_type, events = selectors.audit_events_for_object(
        request.user, content_type_key=content_type_key, object_id=object_id
    )
    page = Paginator(events, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "core/audit_object.html",
        {"content_type": content_type, "object_id": object_id, "page": page},
    )


@require_GET
@declare_access(PUBLIC)
def favicon(request: HttpRequest) -> HttpResponse:
    return redirect(static("img/emblem.svg"), permanent=True)


@never_cache
@require_GET
@declare_access(PUBLIC)
def healthz(request: HttpRequest) -> JsonResponse:
    """Database, broker and worker heartbeat; 200 when all are green, else 503."""
    checks: dict[str, dict] = {}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        checks["database"] = {"ok": True, "vendor": connection.vendor}
    except Exception as error:  # noqa: BLE001 - any failure is reported, not raised
        checks["database"] = {"ok": False, "error": str(error)}

    try:
        with celery_app.connection_for_write() as broker:
            broker.ensure_connection(max_retries=1, timeout=2)
        checks["broker"] = {"ok": True, "transport": celery_app.conf.broker_url.split("://")[0]}
    except Exception as error:  # noqa: BLE001
        checks["broker"] = {"ok": False, "error": str(error)}

    heartbeat = None
    if checks["database"]["ok"]:
        heartbeat = selectors.latest_worker_heartbeat()
    max_age = dt.timedelta(seconds=settings.WORKER_HEARTBEAT_MAX_AGE)
    if heartbeat is not None and timezone.now() - heartbeat.seen_at <= max_age:
        checks["worker"] = {"ok": True, "name": heartbeat.name, "last_seen": heartbeat.seen_at.isoformat()}
    else:
        checks["worker"] = {
            "ok": False,
            "last_seen": heartbeat.seen_at.isoformat() if heartbeat else None,
            "error": f"no worker heartbeat in the last {settings.WORKER_HEARTBEAT_MAX_AGE} seconds",
        }
    healthy = all(check["ok"] for check in checks.values())
    return JsonResponse({"status": "ok" if healthy else "fail", "checks": checks}, status=200 if healthy else 503)
