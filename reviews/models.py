"""The expert library (专家库) and the review engine: rounds, groups, assignments, scores.

Every review in the portal runs on these tables — first-round and defense review of
applications, INTL strategic and technical review, budget review, mid-term checks and
acceptance panels. Recusal (V1) and rotation are enforced when experts are assigned
(``reviews.rules``); an expert sees only their own assignments.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from accounts.models import Organisation


class Expert(models.Model):
    """An expert of the library; may also be a portal user (who then scores in the portal)."""

    class Expertise(models.TextChoices):
        TECHNICAL = "technical", _("technical expert")
        MANAGEMENT = "management", _("management expert")
        INDUSTRY = "industry", _("industry expert")
        FINANCE = "finance", _("finance expert")

    name = models.CharField(_("name"), max_length=100)
    id_number = models.CharField(_("ID number"), max_length=40, unique=True)
    user = models.OneToOneField(
        "accounts.User", verbose_name=_("portal user"), on_delete=models.SET_NULL, null=True, blank=True
    )
    organisation = models.ForeignKey(
        Organisation,
        verbose_name=_("organisation"),
        on_delete=models.PROTECT,
        related_name="experts",
        null=True,
        blank=True,
    )
    organisation_name = models.CharField(_("organisation (as written)"), max_length=200, blank=True)
    professional_title = models.CharField(_("professional title"), max_length=100, blank=True)
    is_senior = models.BooleanField(_("senior title"), default=False)
    expertise = models.CharField(
        _("kind of expert"), max_length=12, choices=Expertise.choices, default=Expertise.TECHNICAL
    )
    email = models.EmailField(_("email"), blank=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    is_foreign = models.BooleanField(_("foreign expert"), default=False)
    is_academician = models.BooleanField(_("academician"), default=False)
    is_active = models.BooleanField(_("in the library"), default=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("expert")
        verbose_name_plural = _("experts")
        ordering = ["name", "id"]
        indexes = [models.Index(fields=["is_active", "organisation"])]

    def __str__(self) -> str:
        return self.name


class ExpertDiscipline(models.Model):
    """A discipline code (学科代码, GB/T 13745) of an expert; one is primary."""

    expert = models.ForeignKey(Expert, on_delete=models.CASCADE, related_name="disciplines")
    code = models.CharField(_("discipline code"), max_length=20, db_index=True)
    is_primary = models.BooleanField(_("primary"), default=False)

    class Meta:
        verbose_name = _("discipline")
        verbose_name_plural = _("disciplines")
        constraints = [
            models.UniqueConstraint(fields=["expert", "code"], name="unique_expert_discipline"),
            models.UniqueConstraint(
                fields=["expert"], condition=Q(is_primary=True), name="one_primary_discipline_per_expert"
            ),
        ]

    def __str__(self) -> str:
        return self.code


class Availability(models.Model):
    """A window when the expert can review; an expert without any is always available."""

    expert = models.ForeignKey(Expert, on_delete=models.CASCADE, related_name="availability")
    starts_on = models.DateField(_("from"))
    ends_on = models.DateField(_("to"))

    class Meta:
        verbose_name = _("availability window")
        verbose_name_plural = _("availability windows")
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__gte=models.F("starts_on")), name="availability_ends_after_start"
            )
        ]

    def __str__(self) -> str:
        return f"{self.starts_on}–{self.ends_on}"


class DeclaredConflict(models.Model):
    """A conflict the expert declared in advance: an organisation or a person (V1)."""

    expert = models.ForeignKey(Expert, on_delete=models.CASCADE, related_name="declared_conflicts")
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+", null=True, blank=True)
    person_name = models.CharField(_("person"), max_length=100, blank=True)
    person_id_number = models.CharField(_("person's ID number"), max_length=40, blank=True)
    note = models.CharField(_("note"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("declared conflict")
        verbose_name_plural = _("declared conflicts")
        constraints = [
            models.CheckConstraint(
                condition=Q(organisation__isnull=False) | ~Q(person_name="") | ~Q(person_id_number=""),
                name="declared_conflict_names_someone",
            )
        ]

    def __str__(self) -> str:
        return str(self.organisation or self.person_name or self.person_id_number)


class Collaboration(models.Model):
    """A past collaboration (co-author, co-applicant) of the expert with a person (V1)."""

    class Kind(models.TextChoices):
        CO_AUTHOR = "co_author", _("co-author")
        CO_APPLICANT = "co_applicant", _("co-applicant")
        OTHER = "other", _("other collaboration")

    expert = models.ForeignKey(Expert, on_delete=models.CASCADE, related_name="collaborations")
    person_name = models.CharField(_("person"), max_length=100)
    person_id_number = models.CharField(_("person's ID number"), max_length=40, blank=True, db_index=True)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices, default=Kind.CO_AUTHOR)
    year = models.PositiveSmallIntegerField(_("year"))

    class Meta:
        verbose_name = _("collaboration")
        verbose_name_plural = _("collaborations")

    def __str__(self) -> str:
        return f"{self.person_name} {self.year}"


class ExpertCreditRecord(models.Model):
    """The expert's credit record (V4 — INTL §46, EVAL §22): lateness, misconduct, praise."""

    class Kind(models.TextChoices):
        LATE = "late", _("late review")
        UNDECLARED_CONFLICT = "undeclared_conflict", _("conflict not declared")
        MISCONDUCT = "misconduct", _("misconduct")
        COMMENDED = "commended", _("commended")

    expert = models.ForeignKey(Expert, on_delete=models.CASCADE, related_name="credit_records")
    kind = models.CharField(_("kind"), max_length=24, choices=Kind.choices)
    review_round = models.ForeignKey("ReviewRound", on_delete=models.SET_NULL, related_name="+", null=True, blank=True)
    note = models.TextField(_("note"), blank=True)
    recorded_at = models.DateTimeField(_("recorded at"), auto_now_add=True)

    class Meta:
        verbose_name = _("expert credit record")
        verbose_name_plural = _("expert credit records")
        ordering = ["-recorded_at"]

    def __str__(self) -> str:
        return f"{self.expert} {self.get_kind_display()}"


class ReviewRound(models.Model):
    """One review: of a call's applications, or of a project (mid-term, acceptance)."""

    class Kind(models.TextChoices):
        FIRST_ROUND = "first_round", _("first-round review")
        DEFENSE = "defense", _("defense review")
        STRATEGIC = "strategic", _("strategic review (INTL)")
        TECHNICAL = "technical", _("technical review (INTL)")
        BUDGET = "budget", _("budget review")
        MIDTERM = "midterm", _("mid-term check")
        ACCEPTANCE = "acceptance", _("acceptance panel")

    class Method(models.TextChoices):
        NETWORK = "network", _("network review")
        LETTER = "letter", _("letter review")
        MEETING = "meeting", _("meeting review")

    class Aggregation(models.TextChoices):
        MEAN = "mean", _("mean of the scores")
        WEIGHTED = "weighted", _("weighted by the criteria")
        TRIMMED = "trimmed", _("weighted, without the highest and the lowest")

    class State(models.TextChoices):
        DRAFT = "draft", _("draft")
        ASSIGNED = "assigned", _("experts assigned")
        OPEN = "open", _("open for scoring")
        CLOSED = "closed", _("closed")
        PUBLISHED = "published", _("results published")

    title = models.CharField(_("title"), max_length=300)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    method = models.CharField(_("method"), max_length=10, choices=Method.choices, default=Method.NETWORK)
    call = models.ForeignKey(
        "projects.Call", on_delete=models.PROTECT, related_name="review_rounds", null=True, blank=True
    )
    project = models.ForeignKey(
        "projects.Project", on_delete=models.PROTECT, related_name="review_rounds", null=True, blank=True
    )
    special_project = models.ForeignKey("projects.SpecialProject", on_delete=models.PROTECT, related_name="+")
    managing_agency = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="review_rounds")
    year = models.PositiveSmallIntegerField(_("year"))
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.DRAFT, db_index=True)
    group_size = models.PositiveSmallIntegerField(_("experts per group"), default=5)
    min_experts = models.PositiveSmallIntegerField(_("minimum experts per item"), default=5)
    deadline = models.DateTimeField(_("scoring deadline"), null=True, blank=True)
    aggregation = models.CharField(
        _("aggregation"), max_length=10, choices=Aggregation.choices, default=Aggregation.TRIMMED
    )
    hide_identities = models.BooleanField(_("applicants' identities hidden from the experts"), default=False)
    collaboration_years = models.PositiveSmallIntegerField(_("recusal for collaborations within (years)"), default=3)
    max_rounds_per_year = models.PositiveSmallIntegerField(
        _("rounds an expert may serve per special project and year"), default=2
    )
    # V3 — KRD-MGMT §53: a mid-term or acceptance panel mixes technical, management and
    # industry experts; how many of each (0 everywhere: a discipline group as for applications).
    technical_experts = models.PositiveSmallIntegerField(_("technical experts on the panel"), default=0)
    management_experts = models.PositiveSmallIntegerField(_("management experts on the panel"), default=0)
    industry_experts = models.PositiveSmallIntegerField(_("industry experts on the panel"), default=0)
    disagreement_points = models.DecimalField(
        _("flag items whose scores spread by more than (points)"), max_digits=5, decimal_places=2, default=20
    )
    created_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("review round")
        verbose_name_plural = _("review rounds")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(group_size__gte=1), name="review_round_group_size_positive"),
            models.CheckConstraint(condition=Q(min_experts__gte=1), name="review_round_min_experts_positive"),
            models.CheckConstraint(
                condition=Q(call__isnull=False) | Q(project__isnull=False), name="review_round_reviews_something"
            ),
        ]

    def __str__(self) -> str:
        return self.title


class Criterion(models.Model):
    """A criterion of the round's scoring form, with its weight and scale (0–``scale_max``)."""

    review_round = models.ForeignKey(ReviewRound, on_delete=models.CASCADE, related_name="criteria")
    order = models.PositiveSmallIntegerField(_("order"), default=1)
    name = models.CharField(_("criterion"), max_length=200)
    weight = models.DecimalField(_("weight"), max_digits=5, decimal_places=2, default=1)
    scale_max = models.PositiveSmallIntegerField(_("highest score"), default=100)

    class Meta:
        verbose_name = _("criterion")
        verbose_name_plural = _("criteria")
        ordering = ["review_round_id", "order", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(weight__gt=0), name="criterion_weight_positive"),
            models.CheckConstraint(condition=Q(scale_max__gte=1), name="criterion_scale_positive"),
        ]

    def __str__(self) -> str:
        return self.name


class ReviewGroup(models.Model):
    """A group of experts (评审组), usually one per direction of the call."""

    review_round = models.ForeignKey(ReviewRound, on_delete=models.CASCADE, related_name="groups")
    name = models.CharField(_("group"), max_length=200)
    direction = models.ForeignKey(
        "projects.CallDirection", on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    discipline_code = models.CharField(_("discipline code"), max_length=20, blank=True)
    members = models.ManyToManyField(Expert, related_name="review_groups", blank=True)

    class Meta:
        verbose_name = _("review group")
        verbose_name_plural = _("review groups")
        ordering = ["review_round_id", "id"]

    def __str__(self) -> str:
        return self.name


class ReviewItem(models.Model):
    """What is reviewed: an application or a project, in a group."""

    review_round = models.ForeignKey(ReviewRound, on_delete=models.CASCADE, related_name="items")
    group = models.ForeignKey(ReviewGroup, on_delete=models.SET_NULL, related_name="items", null=True, blank=True)
    proposal = models.ForeignKey(
        "projects.Proposal", on_delete=models.PROTECT, related_name="review_items", null=True, blank=True
    )
    project = models.ForeignKey(
        "projects.Project", on_delete=models.PROTECT, related_name="review_items", null=True, blank=True
    )
    discipline_code = models.CharField(_("discipline code"), max_length=20, blank=True)
    # Filled when the round closes (aggregate with the round's method, spread, rank in the group).
    aggregate = models.DecimalField(_("score"), max_digits=6, decimal_places=2, null=True, blank=True)
    spread = models.DecimalField(_("spread"), max_digits=6, decimal_places=2, null=True, blank=True)
    rank = models.PositiveIntegerField(_("rank"), null=True, blank=True)
    is_tied = models.BooleanField(_("tied"), default=False)
    is_disputed = models.BooleanField(_("experts disagree"), default=False)

    class Meta:
        verbose_name = _("review item")
        verbose_name_plural = _("review items")
        ordering = ["review_round_id", "group_id", "rank", "id"]
        constraints = [
            models.UniqueConstraint(fields=["review_round", "proposal"], name="unique_proposal_per_round"),
            models.UniqueConstraint(fields=["review_round", "project"], name="unique_project_per_round"),
            models.CheckConstraint(
                condition=Q(proposal__isnull=False) | Q(project__isnull=False), name="review_item_reviews_something"
            ),
        ]

    def __str__(self) -> str:
        return str(self.proposal or self.project)


class Assignment(models.Model):
    """An expert's assignment to an item: declaration, scores, recommendation, opinion."""

    class State(models.TextChoices):
        ASSIGNED = "assigned", _("assigned: declaration due")
        DECLARED = "declared", _("no conflict declared: scoring")
        SUBMITTED = "submitted", _("submitted")
        WITHDRAWN = "withdrawn", _("withdrawn (conflict or replaced)")

    class Recommendation(models.TextChoices):
        SUPPORT = "support", _("support")
        SUPPORT_IF = "support_if", _("support with changes")
        REJECT = "reject", _("do not support")

    item = models.ForeignKey(ReviewItem, on_delete=models.CASCADE, related_name="assignments")
    expert = models.ForeignKey(Expert, on_delete=models.PROTECT, related_name="assignments")
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.ASSIGNED, db_index=True)
    is_manual = models.BooleanField(_("assigned by hand"), default=False)
    reason = models.CharField(_("reason"), max_length=300, blank=True)
    declared_at = models.DateTimeField(_("declared at"), null=True, blank=True)
    recommendation = models.CharField(_("recommendation"), max_length=12, choices=Recommendation.choices, blank=True)
    opinion = models.TextField(_("opinion"), blank=True)
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("assignment")
        verbose_name_plural = _("assignments")
        ordering = ["item_id", "id"]
        constraints = [models.UniqueConstraint(fields=["item", "expert"], name="unique_expert_per_item")]
        indexes = [models.Index(fields=["expert", "state"])]

    def __str__(self) -> str:
        return f"{self.expert} → {self.item}"


class Score(models.Model):
    assignment = models.ForeignKey(Assignment, on_delete=models.CASCADE, related_name="scores")
    criterion = models.ForeignKey(Criterion, on_delete=models.PROTECT, related_name="+")
    value = models.DecimalField(_("score"), max_digits=6, decimal_places=2)

    class Meta:
        verbose_name = _("score")
        verbose_name_plural = _("scores")
        constraints = [
            models.UniqueConstraint(fields=["assignment", "criterion"], name="unique_score_per_criterion"),
            models.CheckConstraint(condition=Q(value__gte=0), name="score_not_negative"),
        ]

    def __str__(self) -> str:
        return str(self.value)
