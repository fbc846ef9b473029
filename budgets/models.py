"""The budget book (预算书) and everything that moves its money.

A ``Budget`` belongs to a proposal and follows it into its project. Its content lives in
numbered ``BudgetVersion``s that are never overwritten: the application, the agency's budget
review, the approved budget of the task book, and each adjustment request. The database
refuses what can never be right (negative amounts, performance pay above the indirect costs,
equipment items that do not multiply out); the checks in ``budgets.checks`` report the rest.
"""

from __future__ import annotations

from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from accounts.models import Organisation

from .rules import EDITIONS, Category, PolicyEdition

MONEY = {"max_digits": 14, "decimal_places": 2}


class LineCategory(models.TextChoices):
    """The rows of a budget table (B1 — KRD-FUNDS §18–§19, MAJOR-FUNDS §18)."""

    EQUIPMENT_PURCHASE = Category.EQUIPMENT_PURCHASE, _("equipment: purchase")
    EQUIPMENT_TRIAL = Category.EQUIPMENT_TRIAL, _("equipment: trial-making")
    EQUIPMENT_UPGRADE = Category.EQUIPMENT_UPGRADE, _("equipment: upgrade")
    EQUIPMENT_RENTAL = Category.EQUIPMENT_RENTAL, _("equipment: rental")
    MATERIALS = Category.MATERIALS, _("materials")
    TESTING = Category.TESTING, _("testing, analysis and processing")
    FUEL_POWER = Category.FUEL_POWER, _("fuel and power")
    PUBLICATION = Category.PUBLICATION, _("publication, literature, information and IP affairs")
    MEETING_TRAVEL = Category.MEETING_TRAVEL, _("meetings, travel and international cooperation")
    LABOUR = Category.LABOUR, _("labour")
    EXPERT = Category.EXPERT, _("expert consultation")
    OTHER = Category.OTHER, _("other")
    CAPITAL_CONSTRUCTION = Category.CAPITAL_CONSTRUCTION, _("capital construction")
    BUSINESS = Category.BUSINESS, _("business costs")
    INDIRECT = "indirect", _("indirect costs")


class Source(models.TextChoices):
    """Where the money comes from (B5 — KRD-FUNDS §22(一))."""

    CENTRAL = "central", _("central special funds")
    LOCAL_GOVERNMENT = "local_government", _("local government funds")
    OWN = "own", _("unit's own funds")
    OTHER_CHANNEL = "other_channel", _("other channels")


OTHER_SOURCES = (Source.LOCAL_GOVERNMENT, Source.OWN, Source.OTHER_CHANNEL)


class Budget(models.Model):
    """The budget book of one proposal, and of its project once approved."""

    proposal = models.OneToOneField(
        "projects.Proposal", verbose_name=_("proposal"), on_delete=models.CASCADE, related_name="budget"
    )
    project = models.OneToOneField(
        "projects.Project",
        verbose_name=_("project"),
        on_delete=models.PROTECT,
        related_name="budget",
        null=True,
        blank=True,
    )
    edition = models.CharField(_("funds policy edition"), max_length=20)
    is_post_subsidy = models.BooleanField(
        _("post-subsidy (事前立项事后补助)"), default=False, help_text=_("Major projects only (MAJOR-FUNDS §32).")
    )
    is_theoretical = models.BooleanField(
        _("pure theoretical basic research"),
        default=False,
        help_text=_("Under the 2021 reform the indirect costs may reach 60 % (国办发〔2021〕32号)."),
    )
    # The version being edited by the applicant (the application) and the one in force.
    working_version = models.ForeignKey(
        "BudgetVersion", on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    approved_version = models.ForeignKey(
        "BudgetVersion", on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("budget book")
        verbose_name_plural = _("budget books")

    def __str__(self) -> str:
        return _("Budget of %(proposal)s") % {"proposal": self.proposal}

    @property
    def edition_rules(self) -> PolicyEdition:
        return EDITIONS[self.edition]


class BudgetVersion(models.Model):
    """One numbered, kept version of a budget book."""

    class Kind(models.TextChoices):
        APPLICATION = "application", _("application")
        REVIEW = "review", _("budget review")
        APPROVED = "approved", _("approved budget")
        ADJUSTMENT = "adjustment", _("adjustment request")

    class State(models.TextChoices):
        DRAFT = "draft", _("draft")
        SENT = "sent", _("sent to the applicant")
        ANSWERED = "answered", _("answered by the applicant")
        FINAL = "final", _("final")
        WITHDRAWN = "withdrawn", _("withdrawn")

    budget = models.ForeignKey(Budget, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveSmallIntegerField(_("version"))
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.DRAFT)
    based_on = models.ForeignKey(
        "self", verbose_name=_("based on"), on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    note = models.TextField(_("opinion"), blank=True)
    response = models.TextField(_("applicant's response"), blank=True)
    response_agrees = models.BooleanField(_("the applicant agrees"), null=True, blank=True)
    warnings_confirmed_at = models.DateTimeField(_("warnings confirmed at"), null=True, blank=True)
    created_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("budget version")
        verbose_name_plural = _("budget versions")
        ordering = ["budget_id", "number"]
        constraints = [models.UniqueConstraint(fields=["budget", "number"], name="unique_budget_version_number")]

    def __str__(self) -> str:
        return f"v{self.number} {self.get_kind_display()}"


class BudgetLine(models.Model):
    """One row of a subject unit's budget table: a category, its amount per source, its
    calculation basis (测算依据) and explanation. For indirect costs, the part for
    performance pay (绩效支出, KRD-FUNDS §19)."""

    version = models.ForeignKey(BudgetVersion, on_delete=models.CASCADE, related_name="lines")
    subject = models.ForeignKey("projects.Subject", on_delete=models.CASCADE, related_name="budget_lines")
    unit = models.ForeignKey(Organisation, verbose_name=_("unit"), on_delete=models.PROTECT, related_name="+")
    category = models.CharField(_("category"), max_length=24, choices=LineCategory.choices)
    central = models.DecimalField(_("central special funds"), default=0, **MONEY)
    local_government = models.DecimalField(_("local government funds"), default=0, **MONEY)
    own = models.DecimalField(_("unit's own funds"), default=0, **MONEY)
    other_channel = models.DecimalField(_("other channels"), default=0, **MONEY)
    performance_pay = models.DecimalField(_("of which performance pay"), default=0, **MONEY)
    basis = models.TextField(_("calculation basis"), blank=True)
    explanation = models.TextField(_("explanation"), blank=True)
    change_reason = models.TextField(_("reason for the change"), blank=True)

    class Meta:
        verbose_name = _("budget line")
        verbose_name_plural = _("budget lines")
        ordering = ["version_id", "subject_id", "unit_id", "id"]
        constraints = [
            models.UniqueConstraint(fields=["version", "subject", "unit", "category"], name="unique_budget_line"),
            models.CheckConstraint(
                condition=Q(central__gte=0) & Q(local_government__gte=0) & Q(own__gte=0) & Q(other_channel__gte=0),
                name="budget_line_amounts_not_negative",
            ),
            models.CheckConstraint(
                condition=Q(performance_pay__gte=0) & Q(performance_pay__lte=F("central")),
                name="budget_line_performance_pay_within_central",
            ),
            models.CheckConstraint(
                condition=Q(category="indirect") | Q(performance_pay=0),
                name="budget_line_performance_pay_only_indirect",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_category_display()} {self.total}"

    @property
    def other_sources(self):
        return self.local_government + self.own + self.other_channel

    @property
    def total(self):
        return self.central + self.other_sources


class YearPlan(models.Model):
    """Central special funds of a subject unit per year (分年度预算)."""

    version = models.ForeignKey(BudgetVersion, on_delete=models.CASCADE, related_name="year_plans")
    subject = models.ForeignKey("projects.Subject", on_delete=models.CASCADE, related_name="+")
    unit = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    year = models.PositiveSmallIntegerField(_("year"))
    central = models.DecimalField(_("central special funds"), **MONEY)

    class Meta:
        verbose_name = _("yearly central funds")
        verbose_name_plural = _("yearly central funds")
        ordering = ["version_id", "subject_id", "unit_id", "year"]
        constraints = [
            models.UniqueConstraint(fields=["version", "subject", "unit", "year"], name="unique_year_plan"),
            models.CheckConstraint(condition=Q(central__gte=0), name="year_plan_not_negative"),
            models.CheckConstraint(condition=Q(year__gte=2000) & Q(year__lte=2100), name="year_plan_year_range"),
        ]

    def __str__(self) -> str:
        return f"{self.year}: {self.central}"


class EquipmentItem(models.Model):
    """A piece of equipment to be bought (KRD-FUNDS §24: purchases are explained item by item)."""

    version = models.ForeignKey(BudgetVersion, on_delete=models.CASCADE, related_name="equipment_items")
    subject = models.ForeignKey("projects.Subject", on_delete=models.CASCADE, related_name="+")
    unit = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    name = models.CharField(_("equipment"), max_length=200)
    specification = models.CharField(_("model and specification"), max_length=200, blank=True)
    quantity = models.PositiveIntegerField(_("quantity"))
    unit_price = models.DecimalField(_("unit price (yuan)"), **MONEY)
    amount = models.DecimalField(_("amount (yuan)"), **MONEY)
    central = models.DecimalField(_("of which central special funds"), **MONEY)
    justification = models.TextField(_("why it is needed"), blank=True)

    class Meta:
        verbose_name = _("equipment item")
        verbose_name_plural = _("equipment items")
        ordering = ["version_id", "subject_id", "unit_id", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gte=1), name="equipment_item_quantity_positive"),
            models.CheckConstraint(condition=Q(unit_price__gte=0), name="equipment_item_price_not_negative"),
            models.CheckConstraint(
                condition=Q(amount=F("quantity") * F("unit_price")),
                name="equipment_item_amount_is_quantity_times_price",
            ),
            models.CheckConstraint(
                condition=Q(central__gte=0) & Q(central__lte=F("amount")), name="equipment_item_central_within_amount"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class IncomeSource(models.Model):
    """Money from outside the central funds, with its funder's commitment (B5 — KRD-FUNDS §22)."""

    class Form(models.TextChoices):
        CASH = "cash", _("cash")
        NON_CASH = "non_cash", _("assets other than cash")

    version = models.ForeignKey(BudgetVersion, on_delete=models.CASCADE, related_name="income_sources")
    subject = models.ForeignKey("projects.Subject", on_delete=models.CASCADE, related_name="+")
    unit = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    source = models.CharField(_("source"), max_length=20, choices=[(s.value, s.label) for s in OTHER_SOURCES])
    funder = models.CharField(_("funder"), max_length=200)
    amount = models.DecimalField(_("committed amount (yuan)"), **MONEY)
    form = models.CharField(_("form"), max_length=10, choices=Form.choices, default=Form.CASH)
    is_central_funds = models.BooleanField(_("the money is itself central government funds"), default=False)
    letter = models.FileField(_("commitment letter"), upload_to="budgets/letters/", blank=True)

    class Meta:
        verbose_name = _("other source of funds")
        verbose_name_plural = _("other sources of funds")
        ordering = ["version_id", "subject_id", "unit_id", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="income_source_amount_positive"),
            models.CheckConstraint(
                condition=Q(source__in=[s.value for s in OTHER_SOURCES]), name="income_source_not_central"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.funder} {self.amount}"


class ExpertPayee(models.Model):
    """A planned recipient of expert consultation fees (B4 — KRD-FUNDS §18(八))."""

    version = models.ForeignKey(BudgetVersion, on_delete=models.CASCADE, related_name="expert_payees")
    subject = models.ForeignKey("projects.Subject", on_delete=models.CASCADE, related_name="+")
    name = models.CharField(_("name"), max_length=100)
    id_number = models.CharField(_("ID number"), max_length=40, blank=True)
    organisation_name = models.CharField(_("organisation"), max_length=200, blank=True)
    amount = models.DecimalField(_("amount (yuan)"), **MONEY)

    class Meta:
        verbose_name = _("expert consultation payee")
        verbose_name_plural = _("expert consultation payees")
        ordering = ["version_id", "subject_id", "id"]
        constraints = [models.CheckConstraint(condition=Q(amount__gte=0), name="expert_payee_not_negative")]

    def __str__(self) -> str:
        return self.name


class Adjustment(models.Model):
    """A budget adjustment (调剂) request: a proposed version compared with the approved one,
    routed to whoever B6 says must approve it."""

    class State(models.TextChoices):
        DRAFT = "draft", _("draft")
        PENDING = "pending", _("awaiting approval")
        APPROVED = "approved", _("approved and applied")
        REJECTED = "rejected", _("rejected")
        WITHDRAWN = "withdrawn", _("withdrawn")

    budget = models.ForeignKey(Budget, on_delete=models.CASCADE, related_name="adjustments")
    base_version = models.ForeignKey(BudgetVersion, on_delete=models.PROTECT, related_name="+")
    proposed_version = models.OneToOneField(BudgetVersion, on_delete=models.PROTECT, related_name="adjustment")
    reason = models.TextField(_("reason"))
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.DRAFT, db_index=True)
    requested_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    requested_at = models.DateTimeField(_("requested at"), null=True, blank=True)
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("budget adjustment")
        verbose_name_plural = _("budget adjustments")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return _("Adjustment #%(id)s") % {"id": self.pk}


class AdjustmentStep(models.Model):
    """One approval (or notice) an adjustment needs, in order."""

    class State(models.TextChoices):
        WAITING = "waiting", _("waiting")
        PENDING = "pending", _("awaiting decision")
        APPROVED = "approved", _("approved")
        REJECTED = "rejected", _("rejected")
        NOTIFIED = "notified", _("told")

    adjustment = models.ForeignKey(Adjustment, on_delete=models.CASCADE, related_name="steps")
    order = models.PositiveSmallIntegerField(_("order"))

    class Approver(models.TextChoices):
        SUBJECT_UNIT = "subject_unit", _("subject unit")
        LEAD_UNIT = "lead_unit", _("lead unit")
        AGENCY = "agency", _("professional management agency")
        ORGANISER = "organiser", _("organising unit (the ministry)")

    approver = models.CharField(_("approver"), max_length=16, choices=Approver.choices)
    # The unit that decides; empty for the ministry, where any of its officers may.
    organisation = models.ForeignKey(
        Organisation, verbose_name=_("unit"), on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    is_notice = models.BooleanField(_("told only"), default=False)
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.WAITING)
    decided_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+", null=True, blank=True)
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    comment = models.TextField(_("comment"), blank=True)

    class Meta:
        verbose_name = _("adjustment step")
        verbose_name_plural = _("adjustment steps")
        ordering = ["adjustment_id", "order"]
        constraints = [models.UniqueConstraint(fields=["adjustment", "order"], name="unique_adjustment_step_order")]

    def __str__(self) -> str:
        return f"{self.order}. {self.approver}"


class ExpenditureImport(models.Model):
    """One spending file imported from a unit's finance system: all rows or none."""

    class State(models.TextChoices):
        QUEUED = "queued", _("queued")
        RUNNING = "running", _("being imported")
        APPLIED = "applied", _("applied")
        REFUSED = "refused", _("refused: nothing imported")

    budget = models.ForeignKey(Budget, on_delete=models.CASCADE, related_name="imports")
    year = models.PositiveSmallIntegerField(_("year"))
    file_name = models.CharField(_("file"), max_length=255)
    # A large file waits here for the worker (design §5: scale imports run in Celery).
    stored_file = models.FileField(_("stored file"), upload_to="budgets/imports/", blank=True)
    state = models.CharField(_("state"), max_length=10, choices=State.choices)
    row_count = models.PositiveIntegerField(_("rows"), default=0)
    total = models.DecimalField(_("total (yuan)"), default=0, **MONEY)
    errors = models.JSONField(_("row errors"), default=list, blank=True)
    imported_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    imported_at = models.DateTimeField(_("imported at"), auto_now_add=True)

    class Meta:
        verbose_name = _("spending import")
        verbose_name_plural = _("spending imports")
        ordering = ["-imported_at", "-id"]

    def __str__(self) -> str:
        return f"{self.file_name} ({self.year})"


class Expenditure(models.Model):
    """Actual spending on a budget line in a year, as booked by the unit's finance office."""

    budget = models.ForeignKey(Budget, on_delete=models.CASCADE, related_name="expenditures")
    source_import = models.ForeignKey(ExpenditureImport, on_delete=models.CASCADE, related_name="rows")
    subject = models.ForeignKey("projects.Subject", on_delete=models.PROTECT, related_name="+")
    unit = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    category = models.CharField(_("category"), max_length=24, choices=LineCategory.choices)
    is_central = models.BooleanField(_("paid from central special funds"), default=True)
    year = models.PositiveSmallIntegerField(_("year"))
    booked_on = models.DateField(_("booked on"))
    voucher = models.CharField(_("voucher number"), max_length=60, blank=True)
    description = models.CharField(_("description"), max_length=300, blank=True)
    payee = models.CharField(_("payee"), max_length=200, blank=True)
    payee_id_number = models.CharField(_("payee's ID number"), max_length=40, blank=True)
    amount = models.DecimalField(_("amount (yuan)"), **MONEY)

    class Meta:
        verbose_name = _("expenditure")
        verbose_name_plural = _("expenditures")
        ordering = ["budget_id", "year", "id"]
        indexes = [models.Index(fields=["budget", "year", "subject", "category"])]
        constraints = [models.CheckConstraint(condition=Q(amount__gt=0), name="expenditure_amount_positive")]

    def __str__(self) -> str:
        return f"{self.booked_on} {self.amount}"


class FinalAccount(models.Model):
    """The annual final accounts (年度财务决算) of a project, compiled from the spending and
    submitted by the lead unit by 20 April (B7 — KRD-FUNDS §37)."""

    class State(models.TextChoices):
        DRAFT = "draft", _("draft")
        SUBMITTED = "submitted", _("submitted")
        EXEMPT = "exempt", _("not due: funds under three months old")

    budget = models.ForeignKey(Budget, on_delete=models.CASCADE, related_name="final_accounts")
    year = models.PositiveSmallIntegerField(_("year"))
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.DRAFT)
    compiled_at = models.DateTimeField(_("compiled at"), auto_now=True)
    submitted_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+", null=True, blank=True)
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    explanation = models.TextField(_("explanation"), blank=True)

    class Meta:
        verbose_name = _("final accounts")
        verbose_name_plural = _("final accounts")
        ordering = ["budget_id", "-year"]
        constraints = [models.UniqueConstraint(fields=["budget", "year"], name="unique_final_account_year")]

    def __str__(self) -> str:
        return _("%(year)s final accounts") % {"year": self.year}


class FinalAccountLine(models.Model):
    """One subject and category of the final accounts: approved, received, spent, carried over."""

    final_account = models.ForeignKey(FinalAccount, on_delete=models.CASCADE, related_name="lines")
    subject = models.ForeignKey("projects.Subject", on_delete=models.PROTECT, related_name="+")
    category = models.CharField(_("category"), max_length=24, choices=LineCategory.choices)
    approved = models.DecimalField(_("approved central funds"), **MONEY)
    spent_in_year = models.DecimalField(_("spent in the year"), **MONEY)
    spent_to_date = models.DecimalField(_("spent to date"), **MONEY)

    class Meta:
        verbose_name = _("final accounts line")
        verbose_name_plural = _("final accounts lines")
        ordering = ["final_account_id", "subject_id", "id"]
        constraints = [
            models.UniqueConstraint(fields=["final_account", "subject", "category"], name="unique_final_account_line")
        ]

    def __str__(self) -> str:
        return f"{self.category} {self.spent_in_year}"


class Balance(models.Model):
    """A subject's balance (结余资金) at financial acceptance and what becomes of it (B9)."""

    class Disposition(models.TextChoices):
        KEPT = "kept", _("kept by the unit for direct research costs")
        RECOVERED = "recovered", _("recovered")

    budget = models.ForeignKey(Budget, on_delete=models.CASCADE, related_name="balances")
    subject = models.OneToOneField("projects.Subject", on_delete=models.PROTECT, related_name="balance")
    amount = models.DecimalField(_("balance (yuan)"), **MONEY)
    accepted_on = models.DateField(_("financial acceptance concluded on"))
    passed_first_attempt = models.BooleanField(_("passed at the first attempt"))
    credit_is_good = models.BooleanField(_("the unit's credit rating is good"))
    disposition = models.CharField(_("disposition"), max_length=10, choices=Disposition.choices)
    keep_from = models.DateField(_("kept from"), null=True, blank=True)
    keep_until = models.DateField(_("kept until"), null=True, blank=True)
    used_amount = models.DecimalField(_("used"), default=0, **MONEY)
    use_report = models.TextField(_("report on its use"), blank=True)
    reported_at = models.DateTimeField(_("reported at"), null=True, blank=True)
    decided_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    decided_at = models.DateTimeField(_("decided at"), auto_now_add=True)

    class Meta:
        verbose_name = _("balance")
        verbose_name_plural = _("balances")
        constraints = [
            models.CheckConstraint(condition=Q(amount__gte=0), name="balance_not_negative"),
            models.CheckConstraint(
                condition=Q(used_amount__gte=0) & Q(used_amount__lte=F("amount")), name="balance_use_within_amount"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.subject}: {self.amount}"
