from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class AppendOnlyError(Exception):
    """Raised on any attempt to change or remove an audit event (O1)."""


class AuditEventQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise AppendOnlyError("Audit events are append-only (O1, KRD-MGMT §71).")

    def delete(self):
        raise AppendOnlyError("Audit events are append-only (O1, KRD-MGMT §71).")

    def bulk_update(self, objs, fields, batch_size=None):
        raise AppendOnlyError("Audit events are append-only (O1, KRD-MGMT §71).")


class AuditEvent(models.Model):
    """One state change: who, when, what, before/after, from where (O1, KRD-MGMT §71).

    Append-only: the model, its queryset and (on PostgreSQL and SQLite) a database trigger
    refuse updates and deletes.
    """

    created_at = models.DateTimeField(_("time"), default=timezone.now, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("actor"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    actor_username = models.CharField(_("actor username"), max_length=150, blank=True)
    action = models.CharField(_("action"), max_length=100, db_index=True)
    rule = models.CharField(_("rule"), max_length=20, blank=True)
    content_type = models.ForeignKey(
        ContentType, verbose_name=_("object type"), on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    object_id = models.CharField(_("object id"), max_length=64, blank=True)
    object_repr = models.CharField(_("object"), max_length=200, blank=True)
    target = GenericForeignKey("content_type", "object_id")
    changes = models.JSONField(_("changes"), default=dict, blank=True)
    ip_address = models.GenericIPAddressField(_("IP address"), null=True, blank=True)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["content_type", "object_id", "-created_at"])]
        default_permissions = ("view",)

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M:%S} {self.actor_username or '-'} {self.action} {self.object_repr}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise AppendOnlyError("Audit events are append-only (O1, KRD-MGMT §71).")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError("Audit events are append-only (O1, KRD-MGMT §71).")


class CalendarDay(models.Model):
    """An entry of the official calendar (国务院办公厅 holiday notice): a holiday that falls on a
    weekday, or a make-up working day (调休上班) on a weekend. Entries extend and override the
    built-in calendar data."""

    date = models.DateField(_("date"), unique=True)
    is_working_day = models.BooleanField(
        _("working day"), help_text=_("Ticked for a make-up working day, unticked for a holiday.")
    )
    name = models.CharField(_("name"), max_length=100, blank=True, help_text=_("e.g. Spring Festival"))

    class Meta:
        verbose_name = _("calendar day")
        verbose_name_plural = _("calendar days")
        ordering = ["date"]

    def __str__(self) -> str:
        return f"{self.date:%Y-%m-%d} {self.name}"


class Notification(models.Model):
    """An in-app notification (the bell); email is sent beside it by ``core.notifications``."""

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("recipient"), on_delete=models.CASCADE, related_name="notifications"
    )
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("body"), blank=True)
    link = models.CharField(_("link"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["recipient", "read_at"])]

    def __str__(self) -> str:
        return self.title

    @property
    def is_read(self) -> bool:
        return self.read_at is not None


class WorkerHeartbeat(models.Model):
    """The last time a Celery worker ran the heartbeat task (shown by /healthz)."""

    name = models.CharField(max_length=200, primary_key=True)
    seen_at = models.DateTimeField()

    class Meta:
        verbose_name = _("worker heartbeat")
        verbose_name_plural = _("worker heartbeats")

    def __str__(self) -> str:
        return self.name


class Obligation(models.Model):
    """Something someone must do by a moment the regulations set (design §4), attached to any
    object. The deadline engine (``core.deadlines``) reminds, escalates and runs timers."""

    class State(models.TextChoices):
        OPEN = "open", _("open")
        DONE = "done", _("done")
        OVERDUE = "overdue", _("overdue")
        WAIVED = "waived", _("waived")

    content_type = models.ForeignKey(
        ContentType, verbose_name=_("object type"), on_delete=models.PROTECT, related_name="+"
    )
    object_id = models.CharField(_("object id"), max_length=64)
    target = GenericForeignKey("content_type", "object_id")
    kind = models.CharField(_("kind"), max_length=64, db_index=True)
    period = models.CharField(
        _("period"), max_length=32, blank=True, help_text=_("e.g. the year an annual obligation is for")
    )
    title = models.CharField(_("title"), max_length=300)
    rule = models.CharField(_("rule"), max_length=20)
    article = models.CharField(_("article"), max_length=200)
    due_at = models.DateTimeField(_("due"))
    state = models.CharField(_("state"), max_length=16, choices=State.choices, default=State.OPEN)
    responsible_users = models.ManyToManyField(
        settings.AUTH_USER_MODEL, verbose_name=_("responsible users"), related_name="obligations", blank=True
    )
    responsible_role = models.CharField(_("responsible role"), max_length=32, blank=True)
    responsible_organisation = models.ForeignKey(
        "accounts.Organisation",
        verbose_name=_("responsible organisation"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    escalation_users = models.ManyToManyField(
        settings.AUTH_USER_MODEL, verbose_name=_("escalation users"), related_name="escalated_obligations", blank=True
    )
    escalation_role = models.CharField(_("escalation role"), max_length=32, blank=True)
    escalation_organisation = models.ForeignKey(
        "accounts.Organisation",
        verbose_name=_("escalation organisation"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    managing_organisation = models.ForeignKey(
        "accounts.Organisation",
        verbose_name=_("managing agency"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("The agency that supervises the object; it sees the obligation when overdue."),
    )
    reminder_days = models.JSONField(_("reminder days before due"), default=list, blank=True)
    action = models.CharField(_("action at due moment"), max_length=100, blank=True)
    link = models.CharField(_("link"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    waived_reason = models.TextField(_("reason for waiving"), blank=True)

    class Meta:
        verbose_name = _("obligation")
        verbose_name_plural = _("obligations")
        ordering = ["due_at", "id"]
        indexes = [
            models.Index(fields=["state", "due_at"]),
            models.Index(fields=["content_type", "object_id"]),
            models.Index(fields=["managing_organisation", "state", "due_at"]),
            models.Index(fields=["responsible_organisation", "responsible_role", "state"]),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["content_type", "object_id", "kind", "period"], name="unique_obligation_per_object_kind_period"
            ),
            models.CheckConstraint(
                condition=~models.Q(state="waived") | ~models.Q(waived_reason=""), name="waived_obligation_has_reason"
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_active(self) -> bool:
        return self.state in (self.State.OPEN, self.State.OVERDUE)


class DeadlineDispatch(models.Model):
    """The send log of the deadline engine: one row per (obligation, key, due moment), where
    key is a reminder offset (``remind:30``), the due notice (``due``) or the timer
    (``action``). The unique constraint and the pending→done update make each happen once."""

    class State(models.TextChoices):
        PENDING = "pending", _("pending")
        DONE = "done", _("done")
        CANCELLED = "cancelled", _("cancelled")

    obligation = models.ForeignKey(
        Obligation, verbose_name=_("obligation"), on_delete=models.CASCADE, related_name="dispatches"
    )
    key = models.CharField(_("key"), max_length=32)
    due_at = models.DateTimeField(_("due moment it belongs to"))
    scheduled_at = models.DateTimeField(_("scheduled at"))
    state = models.CharField(_("state"), max_length=16, choices=State.choices, default=State.PENDING)
    enqueued_at = models.DateTimeField(_("last enqueued at"), null=True, blank=True)
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)
    recipient_count = models.PositiveIntegerField(_("recipients"), default=0)

    class Meta:
        verbose_name = _("deadline dispatch")
        verbose_name_plural = _("deadline send log")
        ordering = ["scheduled_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["obligation", "key", "due_at"], name="unique_dispatch_per_obligation_key_due"
            ),
        ]
        indexes = [
            models.Index(fields=["scheduled_at"], name="dispatch_pending_due_idx", condition=models.Q(state="pending")),
        ]

    def __str__(self) -> str:
        return f"{self.obligation_id}:{self.key}@{self.scheduled_at:%Y-%m-%d %H:%M}"


class EmailDelivery(models.Model):
    """One email of a dispatch to one recipient; retried with backoff, never duplicated by a
    retry (a row is sent once; unique per dispatch and recipient)."""

    class State(models.TextChoices):
        PENDING = "pending", _("pending")
        SENT = "sent", _("sent")
        FAILED = "failed", _("failed")

    dispatch = models.ForeignKey(
        DeadlineDispatch, verbose_name=_("dispatch"), on_delete=models.CASCADE, related_name="emails"
    )
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("recipient"), on_delete=models.CASCADE, related_name="+"
    )
    address = models.EmailField(_("address"))
    subject = models.CharField(_("subject"), max_length=300)
    body = models.TextField(_("body"))
    state = models.CharField(_("state"), max_length=16, choices=State.choices, default=State.PENDING)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt at"), default=timezone.now)
    enqueued_at = models.DateTimeField(_("last enqueued at"), null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)

    class Meta:
        verbose_name = _("email delivery")
        verbose_name_plural = _("email deliveries")
        constraints = [
            models.UniqueConstraint(fields=["dispatch", "recipient"], name="unique_email_per_dispatch_recipient"),
        ]
        indexes = [
            models.Index(fields=["next_attempt_at"], name="email_pending_idx", condition=models.Q(state="pending")),
        ]

    def __str__(self) -> str:
        return f"{self.address}: {self.subject}"


class CalendarFeedToken(models.Model):
    """The secret token of a user's iCalendar feed of deadlines (``/deadlines/<token>.ics``)."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="calendar_feed")
    token = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("calendar feed token")
        verbose_name_plural = _("calendar feed tokens")

    def __str__(self) -> str:
        return f"{self.user}"
