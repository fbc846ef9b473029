import pytest
from django.core import mail

from core.models import Notification
from core.notifications import notify

pytestmark = pytest.mark.django_db


def test_notify_creates_in_app_notifications_and_emails_after_commit(make_user, django_capture_on_commit_callbacks):
    first, second = make_user("applicant"), make_user("unit_admin", email="")
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        notify(
            recipients=[first, second, first],
            title="形式审查结果",
            body="您的申报书已通过形式审查。",
            link="/dashboard/",
        )
    assert Notification.objects.filter(recipient=first).count() == 1
    assert Notification.objects.filter(recipient=second).count() == 1
    assert len(callbacks) == 1
    assert [message.to for message in mail.outbox] == [[first.email]]
    assert "形式审查结果" in mail.outbox[0].subject
    assert "/dashboard/" in mail.outbox[0].body


def test_no_email_when_the_transaction_rolls_back(make_user, django_capture_on_commit_callbacks):
    user = make_user("applicant")
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        notify(recipients=[user], title="t")
    assert len(callbacks) == 1
    assert mail.outbox == []


def test_bell_shows_unread_count_and_list_marks_read(client, make_user):
    user = make_user("applicant")
    other = make_user("applicant")
    notify(recipients=[user], title="第一条", email=False)
    notify(recipients=[user], title="第二条", email=False)
    notify(recipients=[other], title="别人的通知", email=False)
    client.force_login(user)

    page = client.get("/dashboard/").content.decode()
    assert '<span class="badge">2</span>' in page

    listing = client.get("/notifications/").content.decode()
    assert "第一条" in listing and "第二条" in listing
    assert "别人的通知" not in listing

    client.post("/notifications/read/")
    assert not Notification.objects.filter(recipient=user, read_at__isnull=True).exists()
    assert Notification.objects.filter(recipient=other, read_at__isnull=True).exists()
    assert 'class="badge"' not in client.get("/dashboard/").content.decode()


def test_notification_list_query_count_is_constant(client, make_user, django_assert_max_num_queries):
    user = make_user("applicant")
    client.force_login(user)
    notify(recipients=[user], title="一", email=False)
    with django_assert_max_num_queries(20) as baseline:
        client.get("/notifications/")
    for number in range(25):
        notify(recipients=[user], title=f"通知{number}", email=False)
    with django_assert_max_num_queries(len(baseline.captured_queries)):
        client.get("/notifications/")
