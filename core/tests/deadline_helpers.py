"""Running the deadline engine in-process under a controlled clock."""

from __future__ import annotations

import datetime as dt

import time_machine
from django.core.mail.backends.locmem import EmailBackend as LocmemBackend

from core.deadlines import dispatch


def run_sweep(now: dt.datetime, django_capture_on_commit_callbacks) -> dispatch.SweepResult:
    """What beat and the workers do at ``now``: sweep, process each row, send each email."""

    def send(ids):
        for delivery_id in ids:
            dispatch.send_email_delivery(delivery_id, now=now)

    def process(ids):
        # Callbacks these register run too: the capture below executes those added while it runs.
        for dispatch_id in ids:
            dispatch.process_dispatch(dispatch_id, now=now, enqueue_emails=send)

    with time_machine.travel(now, tick=False), django_capture_on_commit_callbacks(execute=True):
        return dispatch.sweep(now=now, enqueue_dispatches=process, enqueue_emails=send)


class FlakyEmailBackend(LocmemBackend):
    """Fails the first ``failures`` sends, then delivers to ``mail.outbox``."""

    failures = 0

    def send_messages(self, messages):
        if FlakyEmailBackend.failures > 0:
            FlakyEmailBackend.failures -= 1
            raise ConnectionError("mail server unavailable")
        return super().send_messages(messages)
