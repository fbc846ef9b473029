"""Changes made in the admin site leave audit events (O1 — KRD-MGMT §71)."""

import pytest
from django.contrib.auth.models import Group

from accounts.models import Organisation, User
from accounts.tests.factories import OrganisationFactory, UserFactory, credit_code_for
from core.models import AuditEvent

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client):
    client.force_login(UserFactory(roles=["admin"]))
    return client


def _organisation_form(organisation: Organisation, **changes) -> dict:
    data = {
        "name": organisation.name,
        "credit_code": organisation.credit_code,
        "kind": organisation.kind,
        "is_registered_in_mainland": "on",
        "is_independent_legal_entity": "on",
        "registration_date": "",
        "supervising_department": organisation.supervising_department,
    }
    data.update(changes)
    return data


def test_admin_adds_an_organisation_with_a_valid_code_and_it_is_audited(admin_client):
    data = {
        "name": "新建示范研究所",
        "credit_code": credit_code_for(777),
        "kind": "research_institute",
        "is_registered_in_mainland": "on",
        "is_independent_legal_entity": "on",
        "supervising_department": "",
    }
    response = admin_client.post("/admin/accounts/organisation/add/", data, REMOTE_ADDR="192.0.2.8")
    assert response.status_code == 302
    event = AuditEvent.objects.get(action="admin.add.organisation")
    assert event.changes["name"] == [None, "新建示范研究所"]
    assert event.ip_address == "192.0.2.8"


def test_admin_refuses_a_wrong_check_character_and_keeps_the_form(admin_client):
    data = {
        "name": "错误代码单位",
        "credit_code": "91350100M000100Y44",
        "kind": "enterprise",
        "is_registered_in_mainland": "on",
        "is_independent_legal_entity": "on",
    }
    response = admin_client.post("/admin/accounts/organisation/add/", data)
    assert response.status_code == 200
    content = response.content.decode()
    assert "GB 32100-2015" in content
    assert "错误代码单位" in content
    assert not Organisation.objects.filter(name="错误代码单位").exists()


def test_admin_change_records_before_and_after(admin_client):
    organisation = OrganisationFactory(supervising_department="教育部")
    response = admin_client.post(
        f"/admin/accounts/organisation/{organisation.pk}/change/",
        _organisation_form(organisation, supervising_department="工业和信息化部"),
    )
    assert response.status_code == 302
    event = AuditEvent.objects.get(action="admin.change.organisation")
    assert event.changes == {"supervising_department": ["教育部", "工业和信息化部"]}


def test_role_change_in_admin_is_audited(admin_client):
    user = UserFactory(roles=["applicant"])
    data = {
        "username": user.username,
        "real_name": user.real_name,
        "email": user.email,
        "phone": "",
        "organisation": user.organisation_id,
        "is_real_name_verified": "on",
        "is_active": "on",
        "groups": [Group.objects.get(name="applicant").pk, Group.objects.get(name="unit_admin").pk],
        "last_login_0": "",
        "last_login_1": "",
        "date_joined_0": "2026-01-01",
        "date_joined_1": "08:00:00",
    }
    response = admin_client.post(f"/admin/accounts/user/{user.pk}/change/", data)
    assert response.status_code == 302, response.content.decode()[:2000]
    assert User.objects.get(pk=user.pk).role_codes == {"applicant", "unit_admin"}
    event = AuditEvent.objects.get(action="admin.relations.user")
    assert event.changes == {"groups": [["applicant"], ["applicant", "unit_admin"]]}
