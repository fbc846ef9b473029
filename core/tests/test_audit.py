"""O1 — KRD-MGMT §71: every state change leaves an append-only audit event."""

import pytest
from django.contrib import admin
from django.db import DatabaseError, connection, transaction
from django.test import RequestFactory

from accounts import services as account_services
from accounts.models import Organisation
from accounts.tests.factories import UserFactory, credit_code_for
from core.middleware import current_request
from core.models import AppendOnlyError, AuditEvent

pytestmark = pytest.mark.django_db


@pytest.fixture
def event():
    actor = UserFactory(roles=["admin"])
    request = RequestFactory().post("/", REMOTE_ADDR="10.1.2.3")
    token = current_request.set(request)
    try:
        account_services.organisation_create(
            actor=actor, name="审计示范单位", credit_code=credit_code_for(4242), kind=Organisation.Kind.ENTERPRISE
        )
    finally:
        current_request.reset(token)
    return AuditEvent.objects.get(action="organisation.create", object_repr="审计示范单位")


def test_service_call_writes_who_what_before_after_and_from_where(event):
    assert event.actor.has_role("admin")
    assert event.actor_username == event.actor.username
    assert event.content_type.model == "organisation"
    assert event.target == Organisation.objects.get(name="审计示范单位")
    assert event.changes["name"] == [None, "审计示范单位"]
    assert event.changes["kind"] == [None, "enterprise"]
    assert event.ip_address == "10.1.2.3"
    assert event.created_at is not None


def test_save_of_an_existing_event_is_refused(event):
    event.action = "tampered"
    with pytest.raises(AppendOnlyError):
        event.save()


def test_delete_is_refused(event):
    with pytest.raises(AppendOnlyError):
        event.delete()
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.filter(pk=event.pk).delete()


def test_queryset_update_is_refused(event):
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.filter(pk=event.pk).update(action="tampered")


def test_database_refuses_raw_update_and_delete(event):
    table = AuditEvent._meta.db_table
    for statement in (f"UPDATE {table} SET action = 'tampered' WHERE id = %s", f"DELETE FROM {table} WHERE id = %s"):  # noqa: S608
        with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(statement, [event.pk])
    event.refresh_from_db()
    assert event.action == "organisation.create"


def test_admin_offers_no_add_change_or_delete(event, rf):
    superuser = UserFactory(is_superuser=True, is_staff=True)
    request = rf.get("/admin/")
    request.user = superuser
    model_admin = admin.site._registry[AuditEvent]
    assert not model_admin.has_add_permission(request)
    assert not model_admin.has_change_permission(request, event)
    assert not model_admin.has_delete_permission(request, event)


def test_audit_pages_list_events_with_filters_and_per_object(client, event):
    ministry = UserFactory(roles=["ministry"])
    client.force_login(ministry)
    response = client.get("/audit/", {"action": "organisation."})
    assert response.status_code == 200
    assert "审计示范单位" in response.content.decode()
    assert "审计示范单位" not in client.get("/audit/", {"action": "user."}).content.decode()
    response = client.get(f"/audit/accounts.organisation/{event.object_id}/")
    assert response.status_code == 200
    assert "organisation.create" in response.content.decode()


def test_audit_pages_are_404_for_other_roles(client, event):
    client.force_login(UserFactory(roles=["applicant"]))
    assert client.get("/audit/").status_code == 404
    assert client.get(f"/audit/accounts.organisation/{event.object_id}/").status_code == 404


def test_audit_list_query_count_does_not_grow_with_rows(client, django_assert_max_num_queries):
    ministry = UserFactory(roles=["ministry"])
    client.force_login(ministry)
    for number in range(3):
        account_services.organisation_create(
            actor=ministry, name=f"单位{number}", credit_code=credit_code_for(5000 + number), kind="enterprise"
        )
    with django_assert_max_num_queries(12) as few:
        client.get("/audit/")
    for number in range(3, 30):
        account_services.organisation_create(
            actor=ministry, name=f"单位{number}", credit_code=credit_code_for(5000 + number), kind="enterprise"
        )
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get("/audit/")
