"""Need-to-know on every route (S6 — SECRETS-LAW §16) and marks on every carrier (S8 —
SECRETS-REGS §15), generated from the route matrix.

For each checked route, one admitted role builds the route's sample as the matrix does; then
every call, proposal, project and subject in the database gets a unique marker title and a
classification in force whose list does not hold the requesting user. The marker of no hidden
object may appear in the answer (HTML, JSON, calendar, PDF text or workbook cells), and a route
whose arguments name one of those objects, or something belonging to one, answers 404."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db.models import CharField, Value
from django.db.models.functions import Cast, Concat
from django.urls import resolve, reverse

from accounts.models import Organisation
from accounts.roles import Role
from accounts.tests.factories import OrganisationFactory, UserFactory
from projects.models import Call, Project, Proposal, Subject
from secrecy.models import Authority, Classification, KnowledgeGrant
from secrecy.rules import Level, Stage, Tier
from secrecy.selectors import IN_FORCE, is_hidden
from tests.test_route_matrix import CHECKED, SAMPLE_KWARGS, _request

pytestmark = pytest.mark.django_db

MARKER = "NTKMARK"
CLASSIFIABLE = (Call, Proposal, Project, Subject)
# The role that asks for each route: the first admitted one of this order (the oversight roles
# first, since they see the most), anonymous never — a public route is asked by the ministry.
ROLE_ORDER = ["ministry", "admin", "agency", "applicant", "unit_admin", "recommender", "expert", "auditor"]
ROLE_ORDER += [role for role in Role.values if role not in ROLE_ORDER]
# Parameterised routes whose arguments name nothing that belongs to a call, proposal, project or
# subject: only the marker check applies to them.
INDEPENDENT = {
    "core:audit_object",  # an organisation
    "core:calendar_feed",  # a feed token
    "api:notification-detail",
    "api:expert-detail",
}
INDEPENDENT_PREFIXES = ("reviews:expert_",)  # the expert library
# The views that read objects of establishment, budgets and reviews through their selectors.
SCOPED_MODULES = ("projects.", "budgets.", "reviews.", "core.deadlines.")


@pytest.fixture
def objects(make_user):
    """The route matrix's shared objects (its fixture is local to its module)."""
    from projects.tests.factories import ProjectFactory

    return {"organisation": OrganisationFactory(), "project": ProjectFactory()}


def _role_for(route) -> str:
    policy = route.policy
    if policy.staff:
        return "admin"
    if not policy.roles:
        return "ministry"
    return next(role for role in ROLE_ORDER if role in policy.roles)


def _authority() -> tuple[Authority, object]:
    """A ministry's classification authority and its responsible classifier."""
    ministry = OrganisationFactory(kind=Organisation.Kind.MINISTRY)
    authority = Authority.objects.create(organisation=ministry, tier=Tier.CENTRAL)
    classifier = UserFactory(organisation=ministry, roles=["secrecy_officer"])
    return authority, classifier


def classify_everything(*, authority=None, classifier=None) -> list[Classification]:
    """Rename every call, proposal, project and subject to ``NTKMARK-<model>-<pk>`` and classify
    each one not yet classified: secret, 10 years, with nobody on its list (S2 — SECRECY §18,
    written directly as a decision record)."""
    if authority is None:
        authority, classifier = _authority()
    made = []
    today = dt.date.today()  # noqa: DTZ011 - a start date, as the service takes it
    for model in CLASSIFIABLE:
        name = model._meta.model_name
        model.objects.update(title=Concat(Value(f"{MARKER}-{name}-"), Cast("pk", CharField())))
        content_type = ContentType.objects.get_for_model(model)
        classified = set(
            Classification.objects.filter(content_type=content_type, state__in=IN_FORCE).values_list(
                "object_id", flat=True
            )
        )
        made += [
            Classification(
                content_type=content_type,
                object_id=pk,
                name=f"保密事项 {name} {pk}",
                level=Level.SECRET,
                period_years=10,
                start_date=today,
                expires_on=today.replace(year=today.year + 10),
                key_points="关键技术参数",
                stage=Stage.ESTABLISHMENT,
                authority=authority,
                classifier=classifier,
                confirmed_classifiable=True,
            )
            for pk in model.objects.exclude(pk__in=classified).values_list("pk", flat=True)
        ]
    return Classification.objects.bulk_create(made)


def _hidden_markers(user) -> list[str]:
    """The marker of every object hidden from ``user`` (anonymous: every classified one)."""
    from django.contrib.auth.models import AnonymousUser

    reader = user or AnonymousUser()
    return [
        f"{MARKER}-{model._meta.model_name}-{obj.pk}"
        for model in CLASSIFIABLE
        for obj in model.objects.all()
        if is_hidden(reader, obj)
    ]


def body_text(response) -> str:
    """What a reader gets from the answer: the text of a PDF's pages, a workbook's cells, or the
    body as text."""
    content_type = response.headers.get("Content-Type", "")
    content = b"".join(response.streaming_content) if getattr(response, "streaming", False) else response.content
    if content.startswith(b"%PDF"):
        from pypdf import PdfReader

        return "\n".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(content)).pages)
    if "spreadsheetml" in content_type or content.startswith(b"PK\x03\x04"):
        from openpyxl import load_workbook

        workbook = load_workbook(io.BytesIO(content), read_only=True)
        return "\n".join(
            str(value) for sheet in workbook.worksheets for row in sheet.iter_rows(values_only=True) for value in row
        )
    return content.decode("utf-8", errors="replace")


def _points_at_hidden_objects(route, url: str) -> bool:
    """True when the route's arguments name an object of establishment, budgets or reviews (all
    of which belong to a now classified call, proposal, project or subject)."""
    name = route.full_name
    if not route.is_parameterised or name in INDEPENDENT or name.startswith(INDEPENDENT_PREFIXES):
        return False
    return resolve(url).func.__module__.startswith(SCOPED_MODULES)


@pytest.mark.parametrize("route", CHECKED, ids=[route.full_name for route in CHECKED])
def test_s6_nothing_classified_leaks_and_its_routes_answer_404(client, make_user, objects, route):
    """S6 — SECRETS-LAW §16: off the list, a classified object and everything that belongs to it
    are absent from every answer, and naming one answers 404."""
    user = make_user(_role_for(route))
    client.force_login(user)
    kwargs = SAMPLE_KWARGS[route.full_name](objects, user) if route.full_name in SAMPLE_KWARGS else {}
    url = reverse(route.full_name, kwargs=kwargs)
    classify_everything()
    markers = _hidden_markers(user)
    assert markers, "the sample made nothing to classify"

    response = _request(client, url)
    texts = [body_text(response)]
    location = response.headers.get("Location", "")
    if response.status_code in (301, 302, 303) and location.startswith("/") and "/login/" not in location:
        texts.append(body_text(client.get(location)))  # the page a form sends back to, with its messages

    leaked = sorted({marker for marker in markers for text in texts if marker in text})
    assert leaked == [], f"{url} showed {leaked} to {user.role_codes}"
    if _points_at_hidden_objects(route, url):
        assert response.status_code == 404, f"{url} answered {response.status_code}, not 404"


def test_the_generated_check_expects_404_wherever_an_object_is_named():
    """The 404 half of the check above is not vacuous: detail and action routes of
    establishment, budgets, reviews and deadlines are held to it; the library is not."""
    by_name = {route.full_name: route for route in CHECKED}
    held = [
        name
        for name in by_name
        if by_name[name].is_parameterised
        and name in SAMPLE_KWARGS
        and not name.startswith(INDEPENDENT_PREFIXES)
        and name not in INDEPENDENT
    ]
    for name, kwargs in (
        ("projects:proposal_detail", {"pk": 1}),
        ("budgets:version_pdf", {"pk": 1}),
        ("reviews:round_experts", {"pk": 1}),
        ("api:obligation-detail", {"pk": 1}),
        ("api:task-book-detail", {"pk": 1}),
    ):
        assert _points_at_hidden_objects(by_name[name], reverse(name, kwargs=kwargs)), name
    assert not _points_at_hidden_objects(by_name["reviews:expert_detail"], reverse("reviews:expert_detail", args=[1]))
    assert len(held) > 100


# ---- On the list: the page answers and carries the mark (S6, S8) ---------------------------------


def _grant(classification: Classification, user) -> None:
    KnowledgeGrant.objects.create(classification=classification, user=user, granted_by=classification.classifier)


def _secret_task_book():
    """A project with its proposal, call and subject and its task book; everything classified."""
    from budgets.tests.builders import approved_budget
    from projects import services

    budget = approved_budget(subjects=1)
    project = budget.project
    services.task_books_generate(project=project)
    classifications = classify_everything()
    return project, project.task_books.get(subject=None), classifications


def test_s6_s8_a_user_on_every_list_opens_the_pages_and_sees_the_mark(client):
    """S6 — SECRETS-LAW §16: on the lists, the leader opens the project, its task book, its
    proposal and its budget; S8 — SECRETS-REGS §15: each page carries the mark at the top."""
    project, book, classifications = _secret_task_book()
    for classification in classifications:
        _grant(classification, project.leader)
    client.force_login(project.leader)
    budget = project.budget
    for url in (
        reverse("projects:project_detail", args=[project.pk]),
        reverse("projects:task_book_detail", args=[book.pk]),
        reverse("projects:proposal_detail", args=[project.proposal_id]),
        reverse("budgets:budget", args=[budget.pk]),
        reverse("budgets:version", args=[budget.approved_version_id]),
    ):
        response = client.get(url)
        assert response.status_code == 200, url
        page = response.content.decode()
        assert 'data-testid="secrecy-mark"' in page and "秘密★10年" in page, url


def test_s6_the_same_pages_answer_404_to_the_leader_off_one_list(client):
    """S6: leaving the leader off the subject's list alone hides the subject's task book and the
    budget book (it shows every subject), not the project."""
    project, book, classifications = _secret_task_book()
    subject_type = ContentType.objects.get_for_model(Subject)
    for classification in classifications:
        if classification.content_type_id != subject_type.pk:
            _grant(classification, project.leader)
    client.force_login(project.leader)
    assert client.get(reverse("projects:project_detail", args=[project.pk])).status_code == 200
    assert client.get(reverse("projects:task_book_detail", args=[book.pk])).status_code == 200
    subject_book = project.task_books.exclude(subject=None).first()
    if subject_book is not None:
        assert client.get(reverse("projects:task_book_detail", args=[subject_book.pk])).status_code == 404
    assert client.get(reverse("budgets:budget", args=[project.budget.pk])).status_code == 404
    page = client.get(reverse("projects:proposal_detail", args=[project.proposal_id])).content.decode()
    hidden_subject = Subject.objects.get(proposal_id=project.proposal_id)
    assert f"{MARKER}-subject-{hidden_subject.pk}" not in page


def test_s8_the_task_book_pdf_of_a_classified_project_is_marked_on_every_page(client):
    """S8 — SECRETS-REGS §15: every page of the task book PDF carries 秘密★10年."""
    from pypdf import PdfReader

    project, book, classifications = _secret_task_book()
    for classification in classifications:
        _grant(classification, project.leader)
    client.force_login(project.leader)

    response = client.get(reverse("projects:task_book_pdf", args=[book.pk]))

    assert response.status_code == 200
    pages = PdfReader(io.BytesIO(response.content)).pages
    assert len(pages) >= 2
    assert all("秘密★10年" in page.extract_text() for page in pages)


def test_s8_the_budget_documents_carry_the_mark_on_every_page_and_sheet(client):
    """S8: the budget book PDF on every page, the workbook in the first row of every sheet."""
    from openpyxl import load_workbook
    from pypdf import PdfReader

    project, _book, classifications = _secret_task_book()
    for classification in classifications:
        _grant(classification, project.leader)
    client.force_login(project.leader)
    version = project.budget.approved_version_id

    pdf = client.get(reverse("budgets:version_pdf", args=[version]))
    workbook = client.get(reverse("budgets:version_xlsx", args=[version]))

    assert all("秘密★10年" in page.extract_text() for page in PdfReader(io.BytesIO(pdf.content)).pages)
    sheets = load_workbook(io.BytesIO(workbook.content)).worksheets
    assert sheets and all(sheet.cell(row=1, column=1).value == "秘密★10年" for sheet in sheets)


def test_s8_an_ordinary_page_has_no_mark(client):
    """S8 applies where a classification is in force: an ordinary project's page is unmarked."""
    from projects.tests.factories import ProjectFactory

    project = ProjectFactory()
    client.force_login(project.leader)
    page = client.get(reverse("projects:project_detail", args=[project.pk])).content.decode()
    assert 'data-testid="secrecy-mark"' not in page
