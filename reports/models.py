"""The report depository (科技报告, T1–T7): what each project owes, the reports filed, their
numbers, delayed release and its extensions, access authorisations and the download log."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from reports import rules
from reports.rules import Access, DelayReason, Kind


class PlanItem(models.Model):
    """A report the task book requires (T1 — REPORTS §10–§11): kind and due date."""

    project = models.ForeignKey("projects.Project", on_delete=models.CASCADE, related_name="report_plan")
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    title = models.CharField(_("title"), max_length=300)
    due_on = models.DateField(_("due on"))
    sequence = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("required report")
        verbose_name_plural = _("required reports")
        ordering = ["project_id", "due_on", "id"]
        constraints = [
            models.UniqueConstraint(fields=["project", "kind", "sequence"], name="one_plan_item_per_kind_and_sequence")
        ]

    def __str__(self) -> str:
        return self.title


def report_file_path(report: TechReport, filename: str) -> str:
    return f"reports/{report.project_id}/{filename}"


class TechReport(models.Model):
    """A science and technology report of a project (or one of its subjects)."""

    class State(models.TextChoices):
        DRAFT = "draft", _("Draft")
        FILED = "filed", _("Filed with the unit")
        SUBMITTED = "submitted", _("Submitted to the agency")
        CONFIRMED = "confirmed", _("Confirmed by the agency")
        RETURNED = "returned", _("Returned for changes")

    project = models.ForeignKey(
        "projects.Project", verbose_name=_("project"), on_delete=models.PROTECT, related_name="tech_reports"
    )
    subject = models.ForeignKey(
        "projects.Subject",
        verbose_name=_("subject"),
        on_delete=models.PROTECT,
        related_name="tech_reports",
        null=True,
        blank=True,
    )
    plan_item = models.ForeignKey(
        PlanItem,
        verbose_name=_("required report"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="reports",
    )
    kind = models.CharField(_("report type"), max_length=16, choices=Kind.choices)
    title = models.CharField(_("title"), max_length=300)
    title_en = models.CharField(_("English title"), max_length=300, blank=True)
    abstract = models.TextField(_("abstract"))
    abstract_en = models.TextField(_("English abstract"))
    keywords = models.JSONField(_("keywords"), default=list)
    authors = models.JSONField(_("authors"), default=list)
    units = models.ManyToManyField("accounts.Organisation", verbose_name=_("units"), related_name="+", blank=True)
    compiled_on = models.DateField(_("compilation date"))
    related_papers = models.TextField(_("related papers"), blank=True)
    related_patents = models.TextField(_("related patents"), blank=True)
    file = models.FileField(_("full text (PDF)"), upload_to=report_file_path, blank=True)
    access = models.CharField(_("access"), max_length=16, choices=Access.choices, default=Access.PUBLIC)
    delay_reason = models.CharField(_("reason for delay"), max_length=16, choices=DelayReason.choices, blank=True)
    release_on = models.DateField(_("release date"), null=True, blank=True)
    secret_level = models.CharField(_("level"), max_length=16, blank=True)
    secret_years = models.PositiveSmallIntegerField(_("secrecy period (years)"), null=True, blank=True)
    number = models.CharField(_("report number"), max_length=80, unique=True, null=True, blank=True)
    state = models.CharField(_("state"), max_length=16, choices=State.choices, default=State.DRAFT)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    filed_at = models.DateTimeField(_("filed at"), null=True, blank=True)
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    submitted_on = models.DateField(_("submission date"), null=True, blank=True)
    confirmed_at = models.DateTimeField(_("confirmed at"), null=True, blank=True)
    returned_reason = models.TextField(_("reason for return"), blank=True)
    released_at = models.DateTimeField(_("public since"), null=True, blank=True)
    release_basis = models.CharField(_("released because"), max_length=16, blank=True)
    publication_note = models.CharField(_("publication"), max_length=300, blank=True)
    search_text = models.TextField(editable=False, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("tech report")
        verbose_name_plural = _("tech reports")
        ordering = ["-submitted_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(access="delayed")
                | Q(state__in=["draft", "returned"])
                | (~Q(delay_reason="") & Q(release_on__isnull=False)),
                name="delayed_report_has_reason_and_date",
            ),
            models.CheckConstraint(
                condition=Q(secret_level="") | Q(secret_level=rules.ALLOWED_LEVEL), name="report_secret_level_only"
            ),
        ]
        indexes = [
            # The release timer and the public list look delayed reports up by release date.
            models.Index(
                fields=["release_on"],
                condition=Q(access="delayed", state="confirmed", released_at__isnull=True),
                name="report_release_due",
            ),
            models.Index(fields=["project", "kind", "state"], name="report_by_project_kind"),
        ]

    def __str__(self) -> str:
        return f"{self.number or '—'} {self.title}"

    def save(self, *args, **kwargs):
        self.search_text = self.build_search_text()
        update_fields = kwargs.get("update_fields")
        if update_fields is not None:
            kwargs["update_fields"] = {*update_fields, "search_text"}
        super().save(*args, **kwargs)

    def build_search_text(self) -> str:
        parts = [
            self.number or "",
            self.title,
            self.title_en,
            self.abstract,
            self.abstract_en,
            *self.keywords,
            *self.authors,
        ]
        return "\n".join(part for part in parts if part).lower()

    @property
    def is_public(self) -> bool:
        """Public full text: public reports once confirmed, delayed ones once released."""
        return self.state == self.State.CONFIRMED and (
            self.access == Access.PUBLIC or (self.access == Access.DELAYED and self.released_at is not None)
        )


class NumberSequence(models.Model):
    """The last sequence number used per unit and project code (T2), locked while a number is
    taken so two reports filed at once never share one."""

    prefix = models.CharField(max_length=80, unique=True)
    last = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.prefix} {self.last}"


class Extension(models.Model):
    """A request to keep a delayed report closed longer (T7 — REPORTS §19), approved by the agency
    and lodged no later than 15 working days before the release date."""

    class State(models.TextChoices):
        REQUESTED = "requested", _("Requested")
        APPROVED = "approved", _("Approved")
        REFUSED = "refused", _("Refused")

    report = models.ForeignKey(TechReport, on_delete=models.CASCADE, related_name="extensions")
    new_release_on = models.DateField(_("new release date"))
    reason = models.TextField(_("reason"))
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    requested_at = models.DateTimeField(auto_now_add=True)
    state = models.CharField(_("state"), max_length=16, choices=State.choices, default=State.REQUESTED)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    note = models.TextField(_("note"), blank=True)

    class Meta:
        verbose_name = _("release extension")
        verbose_name_plural = _("release extensions")
        ordering = ["-requested_at"]

    def __str__(self) -> str:
        return f"{self.report} → {self.new_release_on}"


class AccessRequest(models.Model):
    """T6 — REPORTS §18: a reader asks for the full text of a delayed report; the agency or the
    filing unit grants it until a date."""

    class State(models.TextChoices):
        REQUESTED = "requested", _("Requested")
        GRANTED = "granted", _("Granted")
        REFUSED = "refused", _("Refused")

    report = models.ForeignKey(TechReport, on_delete=models.CASCADE, related_name="access_requests")
    requester = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    purpose = models.TextField(_("purpose"))
    requested_at = models.DateTimeField(auto_now_add=True)
    state = models.CharField(_("state"), max_length=16, choices=State.choices, default=State.REQUESTED)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    expires_on = models.DateField(_("valid until"), null=True, blank=True)

    class Meta:
        verbose_name = _("full-text authorisation")
        verbose_name_plural = _("full-text authorisations")
        ordering = ["-requested_at"]
        indexes = [models.Index(fields=["requester", "report"], condition=Q(state="granted"), name="access_granted")]

    def __str__(self) -> str:
        return f"{self.requester} → {self.report}"


class Download(models.Model):
    """T6 — every full-text download, by whom and when (the copy carries the reader's name)."""

    report = models.ForeignKey(TechReport, on_delete=models.CASCADE, related_name="downloads")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(auto_now_add=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)

    class Meta:
        verbose_name = _("full-text download")
        verbose_name_plural = _("full-text downloads")
        ordering = ["-at"]

    def __str__(self) -> str:
        return f"{self.user} {self.at:%Y-%m-%d %H:%M}"
