import pytest
from django.core.exceptions import ValidationError

from accounts.models import Organisation
from accounts.roles import Role
from accounts.tests.factories import OrganisationFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_organisation_full_clean_refuses_a_wrong_credit_code():
    organisation = OrganisationFactory.build(credit_code="91350100M000100Y44")
    with pytest.raises(ValidationError) as raised:
        organisation.full_clean()
    assert "credit_code" in raised.value.message_dict


def test_nine_role_groups_exist_after_migrations():
    from django.contrib.auth.models import Group

    assert set(Group.objects.values_list("name", flat=True)) >= set(Role.values)
    assert len(Role.values) == 9


def test_role_codes_come_from_groups():
    user = UserFactory(roles=["agency", "expert"])
    assert user.role_codes == {"agency", "expert"}
    assert user.has_role("expert")
    assert not user.has_role("ministry")


def test_passwords_are_hashed_with_argon2():
    user = UserFactory()
    assert user.password.startswith("argon2$")


def test_organisation_kinds_cover_the_regulated_unit_types():
    assert set(Organisation.Kind.values) == {
        "university",
        "research_institute",
        "enterprise",
        "agency",
        "ministry",
        "recommending_department",
        "accounting_firm",
    }
