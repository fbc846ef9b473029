"""The user's open deadlines on the "my tasks" dashboard."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone
from django.utils.translation import gettext as _

from core.dashboard import TodoItem
from core.deadlines import selectors
from core.models import Obligation

HORIZON = dt.timedelta(days=60)


def deadline_todo_items(user) -> list[TodoItem]:
    obligations = (
        selectors.obligations_own(user)
        .filter(state__in=(Obligation.State.OPEN, Obligation.State.OVERDUE), due_at__lte=timezone.now() + HORIZON)
        .order_by("due_at")[:20]
    )
    return [
        TodoItem(
            title=(_("Overdue: %(title)s") % {"title": obligation.title})
            if obligation.state == Obligation.State.OVERDUE
            else obligation.title,
            link=obligation.link or "/deadlines/",
            due=obligation.due_at,
            rule=f"{obligation.rule} · {obligation.article}",
        )
        for obligation in obligations
    ]
