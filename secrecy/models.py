"""Classification records (S1–S11). The portal is not a classified information system (S11 —
SECRETS-LAW §24): it holds the decisions, the need-to-know lists, filings, reviews and leak
reports, never the classified content itself."""

from __future__ import annotations

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from secrecy import rules
from secrecy.rules import Level, PatentKind, Stage, Tier


class Authority(models.Model):
    """An organ or unit as a classification authority (定密机关/单位): its tier (S3 — SECRECY
    §12), its superior (who may also change or declassify its decisions, §20–§22) and its head
    (who approves additions to a need-to-know list, S6 — SECRETS-LAW §16)."""

    organisation = models.OneToOneField(
        "accounts.Organisation", verbose_name=_("organisation"), on_delete=models.PROTECT, related_name="authority"
    )
    tier = models.CharField(_("classification authority"), max_length=16, choices=Tier.choices, default=Tier.NONE)
    authorised_level = models.CharField(
        _("authorised up to"),
        max_length=16,
        choices=Level.choices,
        blank=True,
        help_text=_("For a unit classifying under a written authorisation (SECRETS-REGS §11)."),
    )
    superior = models.ForeignKey(
        "self", verbose_name=_("superior authority"), on_delete=models.PROTECT, null=True, blank=True
    )
    head = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("head (负责人)"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("classification authority")
        verbose_name_plural = _("classification authorities")
        ordering = ["organisation__name"]

    def __str__(self) -> str:
        return str(self.organisation)

    @property
    def max_level(self) -> str:
        return rules.max_level_for(self.tier, self.authorised_level)

    def lineage(self) -> list[int]:
        """This authority and its superiors, nearest first (S4: the original authority or its
        superior decides)."""
        ids, current, seen = [], self, set()
        while current is not None and current.pk not in seen:
            ids.append(current.pk)
            seen.add(current.pk)
            current = current.superior
        return ids


class Classification(models.Model):
    """A classification decision (定密决定) on one object — S2, SECRECY §18: name, level, period
    (years, a date or a condition), key points, need-to-know (the grants), the deciding
    authority, the responsible classifier and the stage."""

    class State(models.TextChoices):
        PROVISIONAL = "provisional", _("Provisional (先行拟定)")
        ACTIVE = "active", _("In force")
        DECLASSIFIED = "declassified", _("Declassified")

    class Ending(models.TextChoices):
        EXPIRED = "expired", _("Period ended (自行解密)")
        SPREAD = "spread", _("Already spread beyond remedy (SECRECY §21(1))")
        SCOPE_CHANGED = "scope_changed", _("No longer a secret after the scope changed (SECRECY §21(2))")
        HARMLESS = "harmless", _("Publication would not harm national security (SECRECY §21(3))")
        NOT_CONFIRMED = "not_confirmed", _("Provisional level not confirmed (SECRETS-REGS §19)")

    content_type = models.ForeignKey(ContentType, on_delete=models.PROTECT, related_name="+")
    object_id = models.PositiveBigIntegerField()
    target = GenericForeignKey("content_type", "object_id")
    name = models.CharField(_("name of the secret"), max_length=300)
    level = models.CharField(_("level"), max_length=16, choices=Level.choices)
    period_years = models.PositiveSmallIntegerField(_("period (years)"), null=True, blank=True)
    declassify_on = models.DateField(_("declassification date"), null=True, blank=True)
    condition = models.TextField(_("declassification condition"), blank=True)
    start_date = models.DateField(_("start date (date of issue)"))
    expires_on = models.DateField(_("ends on"), null=True, blank=True)
    key_points = models.TextField(_("secrecy key points (保密要点)"))
    stage = models.CharField(_("stage"), max_length=16, choices=Stage.choices)
    authority = models.ForeignKey(
        Authority, verbose_name=_("deciding authority"), on_delete=models.PROTECT, related_name="classifications"
    )
    classifier = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("responsible classifier (定密责任人)"),
        on_delete=models.PROTECT,
        related_name="classifications_decided",
    )
    confirmed_classifiable = models.BooleanField(
        _("confirmed not on the list of what may not be classified (SECRECY §11)"), default=False
    )
    state = models.CharField(_("state"), max_length=16, choices=State.choices, default=State.ACTIVE)
    ending = models.CharField(_("declassified because"), max_length=16, choices=Ending.choices, blank=True)
    declassified_at = models.DateTimeField(_("declassified at"), null=True, blank=True)
    created_at = models.DateTimeField(_("decided at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("classification")
        verbose_name_plural = _("classifications")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["content_type", "object_id"],
                condition=~Q(state="declassified"),
                name="one_classification_in_force_per_object",
            ),
            models.CheckConstraint(
                condition=Q(period_years__isnull=False) | Q(declassify_on__isnull=False) | ~Q(condition=""),
                name="classification_has_a_period_or_condition",
            ),
            models.CheckConstraint(
                condition=Q(period_years__isnull=True) | Q(declassify_on__isnull=True),
                name="classification_years_or_date_not_both",
            ),
        ]
        indexes = [
            # The need-to-know filter looks classifications in force up by object.
            models.Index(
                fields=["content_type", "object_id"],
                condition=~Q(state="declassified"),
                name="classification_in_force",
            ),
            # The declassification timer looks up what ends by a day.
            models.Index(fields=["expires_on"], condition=~Q(state="declassified"), name="classification_expiry"),
        ]

    def __str__(self) -> str:
        return f"{self.name}（{self.mark}）"

    @property
    def period(self) -> rules.Period:
        return rules.Period(
            start=self.start_date, years=self.period_years, until=self.declassify_on, condition=self.condition
        )

    @property
    def mark(self) -> str:
        """S8 — SECRETS-REGS §15, at the level it is handled at (S7: the highest claimed)."""
        return rules.mark(self.handled_level, self.period)

    @property
    def handled_level(self) -> str:
        claimed = getattr(self, "_claimed_levels", None)
        if claimed is None:
            claimed = [dispute.claimed_level for dispute in self.disputes.all() if dispute.state == Dispute.State.OPEN]
        return rules.effective_level(self.level, claimed)

    @property
    def in_force(self) -> bool:
        return self.state != self.State.DECLASSIFIED


class KnowledgeGrant(models.Model):
    """One entry of a need-to-know list (知悉范围, S6 — SECRETS-LAW §16): a named person, or an
    organisation that then names its people. Added after the decision, it needs the approval of
    the deciding authority's head. For confidential and above the rows are the written record
    of who knows it, since when and on whose grant (SECRETS-REGS §14)."""

    classification = models.ForeignKey(Classification, on_delete=models.CASCADE, related_name="grants")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("person"), on_delete=models.PROTECT, null=True, blank=True
    )
    organisation = models.ForeignKey(
        "accounts.Organisation", verbose_name=_("organisation"), on_delete=models.PROTECT, null=True, blank=True
    )
    via = models.ForeignKey(
        "self",
        verbose_name=_("named by the organisation of"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="named",
    )
    reason = models.CharField(_("reason"), max_length=300, blank=True)
    is_pending = models.BooleanField(_("awaiting the head's approval"), default=False)
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("granted by"), on_delete=models.PROTECT, related_name="+"
    )
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("approved by the head"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    granted_at = models.DateTimeField(_("granted at"), auto_now_add=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("need-to-know entry")
        verbose_name_plural = _("need-to-know entries")
        ordering = ["granted_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(user__isnull=False) & Q(organisation__isnull=True))
                | (Q(user__isnull=True) & Q(organisation__isnull=False)),
                name="grant_names_a_person_or_an_organisation",
            ),
            models.UniqueConstraint(
                fields=["classification", "user"],
                condition=Q(revoked_at__isnull=True, user__isnull=False),
                name="one_live_grant_per_person",
            ),
            models.UniqueConstraint(
                fields=["classification", "organisation"],
                condition=Q(revoked_at__isnull=True, organisation__isnull=False),
                name="one_live_grant_per_organisation",
            ),
        ]
        indexes = [
            models.Index(
                fields=["user", "classification"],
                condition=Q(revoked_at__isnull=True, is_pending=False),
                name="grant_live_by_user",
            )
        ]

    def __str__(self) -> str:
        return str(self.user or self.organisation)


class Dispute(models.Model):
    """An objection to a level (S7 — SECRETS-REGS §20): until it is decided the item is
    handled at the highest level claimed."""

    class State(models.TextChoices):
        OPEN = "open", _("Open")
        DECIDED = "decided", _("Decided")

    classification = models.ForeignKey(Classification, on_delete=models.CASCADE, related_name="disputes")
    claimed_level = models.CharField(_("level claimed"), max_length=16, choices=Level.choices)
    reason = models.TextField(_("reason"))
    raised_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    raised_at = models.DateTimeField(auto_now_add=True)
    state = models.CharField(_("state"), max_length=16, choices=State.choices, default=State.OPEN)
    decided_level = models.CharField(_("level decided"), max_length=16, choices=Level.choices, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("objection to a level")
        verbose_name_plural = _("objections to levels")
        ordering = ["-raised_at"]

    def __str__(self) -> str:
        return f"{self.classification.name} → {self.claimed_level}"


class Filing(models.Model):
    """A filing (备案, S5 — SECRECY §23): one determination, change, extension or
    declassification filed within 20 working days, or an authority's annual summary due
    31 December."""

    class Event(models.TextChoices):
        DETERMINATION = "determination", _("Determination (确定)")
        CHANGE = "change", _("Change (变更)")
        EXTENSION = "extension", _("Extension (延长)")
        DECLASSIFICATION = "declassification", _("Declassification (解除)")
        ANNUAL = "annual", _("Annual summary (年度备案)")

    authority = models.ForeignKey(Authority, on_delete=models.PROTECT, related_name="filings")
    classification = models.ForeignKey(
        Classification, on_delete=models.PROTECT, related_name="filings", null=True, blank=True
    )
    event = models.CharField(_("event"), max_length=20, choices=Event.choices)
    year = models.PositiveSmallIntegerField(_("year"))
    due_on = models.DateField(_("due on"))
    filed_at = models.DateTimeField(_("filed at"), null=True, blank=True)
    filed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    summary = models.JSONField(_("summary"), default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("secrecy filing")
        verbose_name_plural = _("secrecy filings")
        ordering = ["due_on", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["authority", "year"], condition=Q(event="annual"), name="one_annual_filing_per_authority_year"
            )
        ]

    def __str__(self) -> str:
        return f"{self.authority} {self.year} {self.event}"


class SecrecyReview(models.Model):
    """A secrecy review (保密审查, S9 — SECRECY §29(5), §34(4)) before a classified project's
    results go out: a paper, a patent application, a talk, an exhibition or an exchange abroad."""

    class Kind(models.TextChoices):
        PAPER = "paper", _("Paper")
        PATENT = "patent", _("Patent application")
        CONFERENCE = "conference", _("Conference talk")
        EXHIBITION = "exhibition", _("Exhibition")
        EXCHANGE_ABROAD = "exchange_abroad", _("Exchange abroad")

    class State(models.TextChoices):
        REQUESTED = "requested", _("Requested")
        APPROVED = "approved", _("Approved")
        REFUSED = "refused", _("Refused")

    classification = models.ForeignKey(Classification, on_delete=models.PROTECT, related_name="reviews")
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    title = models.CharField(_("title"), max_length=300)
    patent_kind = models.CharField(_("patent kind"), max_length=16, choices=PatentKind.choices, blank=True)
    description = models.TextField(_("what will be disclosed"), blank=True)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    requested_at = models.DateTimeField(auto_now_add=True)
    state = models.CharField(_("state"), max_length=16, choices=State.choices, default=State.REQUESTED)
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    conditions = models.TextField(_("conditions"), blank=True)

    class Meta:
        verbose_name = _("secrecy review")
        verbose_name_plural = _("secrecy reviews")
        ordering = ["-requested_at"]

    def __str__(self) -> str:
        return self.title


class LeakReport(models.Model):
    """A suspected leak (S10 — SECRETS-REGS §34): anyone may report it; the secrecy officer
    takes remedial measures and reports to the authority within 24 hours."""

    class State(models.TextChoices):
        REPORTED = "reported", _("Reported")
        ACTED = "acted", _("Measures taken")
        ESCALATED = "escalated", _("Reported to the authority")

    classification = models.ForeignKey(
        Classification, on_delete=models.PROTECT, related_name="leaks", null=True, blank=True
    )
    organisation = models.ForeignKey(
        "accounts.Organisation", on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    description = models.TextField(_("what happened"))
    reported_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    reported_at = models.DateTimeField(auto_now_add=True)
    state = models.CharField(_("state"), max_length=16, choices=State.choices, default=State.REPORTED)
    measures = models.TextField(_("remedial measures"), blank=True)
    acted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    acted_at = models.DateTimeField(null=True, blank=True)
    escalated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("leak report")
        verbose_name_plural = _("leak reports")
        ordering = ["-reported_at"]

    def __str__(self) -> str:
        return f"{self.reported_at:%Y-%m-%d %H:%M} {self.description[:40]}"
