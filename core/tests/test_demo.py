import pytest
from django.contrib.auth import authenticate
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import RequestFactory

from accounts.models import Organisation, User
from accounts.roles import Role
from projects.models import Program, SpecialProject

pytestmark = pytest.mark.django_db


def test_load_demo_is_idempotent_and_complete(settings):
    settings.DEMO_PASSWORD = "demo-pass-2026"
    call_command("load_demo")
    counts = (User.objects.count(), Organisation.objects.count(), SpecialProject.objects.count())
    call_command("load_demo")
    assert (User.objects.count(), Organisation.objects.count(), SpecialProject.objects.count()) == counts

    assert set(Organisation.objects.values_list("kind", flat=True)) == set(Organisation.Kind.values)
    assert set(Program.objects.values_list("code", flat=True)) == {"key_rd", "major", "intl"}
    for program in Program.objects.all():
        assert program.special_projects.count() >= 2
    request = RequestFactory().post("/accounts/login/")
    for code in Role.values:
        user = User.objects.get(username=code)
        assert user.role_codes == {code}
        assert authenticate(request, username=code, password="demo-pass-2026") == user
        user.organisation.full_clean()


def test_demo_password_is_refused_with_debug_off_unless_set(settings):
    settings.DEBUG = False
    settings.DEMO_PASSWORD = ""
    with pytest.raises(CommandError, match="DEMO_PASSWORD"):
        call_command("load_demo")
    assert not User.objects.filter(username="applicant").exists()


def test_demo_uses_the_default_password_in_debug(settings):
    settings.DEBUG = True
    settings.DEMO_PASSWORD = ""
    call_command("load_demo")
    assert User.objects.get(username="agency").check_password("demo-pass-2026")


def test_the_demo_project_has_an_approved_budget_that_passes_every_check(settings, tmp_path):
    """The demo's finance pages have something to work on: an approved budget (B1–B5) in force."""
    from budgets import selectors
    from budgets.models import Budget
    from projects.demo import DEMO_PROJECT_NUMBER

    settings.DEMO_PASSWORD = "demo-pass-2026"
    settings.MEDIA_ROOT = tmp_path
    call_command("load_demo")
    call_command("load_demo")
    budget = Budget.objects.get(project__number=DEMO_PROJECT_NUMBER)
    assert budget.approved_version is not None
    assert budget.approved_version.lines.count() == 8
    assert selectors.version_issues(budget.approved_version) == []
