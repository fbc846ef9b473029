"""Tell people: an in-app notification (the bell) and an email, sent after commit."""

from __future__ import annotations

from collections.abc import Iterable

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction

from core.models import Notification


def notify(
    *, recipients: Iterable, title: str, body: str = "", link: str = "", email: bool = True
) -> list[Notification]:
    """Create a notification for each recipient; email those with an address once the
    surrounding transaction commits (nothing is sent for a rolled-back change)."""
    recipients = list({user.pk: user for user in recipients}.values())
    notifications = Notification.objects.bulk_create(
        Notification(recipient=user, title=title, body=body, link=link) for user in recipients
    )
    if email:
        addresses = [user.email for user in recipients if user.email]
        if addresses:
            transaction.on_commit(lambda: _send_email(addresses, title, body, link))
    return notifications


def _send_email(addresses: list[str], title: str, body: str, link: str) -> None:
    text = body if not link else f"{body}\n\n{link}"
    for address in addresses:
        send_mail(
            subject=f"[{settings.PORTAL_NAME}] {title}",
            message=text,
            from_email=settings.DEFAULT_FROM_EMAIL,
            recipient_list=[address],
        )
