"""Browser journey of a first-round review (V1, V2, V4, P3): the agency creates a round for its
call; experts are assigned; the `expert` demo user declares no conflict, scores and submits;
the agency opens and closes the round and sees the ranking with the aggregate."""

import datetime as dt
import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from accounts import demo
from accounts.models import Organisation, User
from projects.models import Call, CallDirection, Proposal
from projects.tests.factories import CallFactory, SpecialProjectFactory
from reviews.models import Assignment, ReviewGroup, ReviewItem, ReviewRound
from reviews.tests.factories import ExpertFactory
from tests.browser import browser_page

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "demo-pass-2026"


def log_in(page, base, username):
    page.context.clear_cookies()
    page.goto(f"{base}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("[data-testid=login-submit]")
    page.wait_for_url(re.compile(r".*/dashboard/$"))


def test_first_round_review_journey(live_server, settings):
    settings.DEMO_PASSWORD = PASSWORD
    demo.load()
    agency = User.objects.get(username="agency")
    expert_user = User.objects.get(username="expert")
    special = SpecialProjectFactory(managing_agency=agency.organisation)
    call = CallFactory(
        special_project=special,
        mode=Call.Mode.TWO_ROUND,
        state=Call.State.PUBLISHED,
        published_at=timezone.now() - dt.timedelta(days=60),
        closes_at=timezone.now() - dt.timedelta(days=1),
    )
    direction = CallDirection.objects.create(call=call, code="1.1", title="方向一", planned_projects=1)
    applicant = User.objects.get(username="applicant")
    proposals = [
        Proposal.objects.create(
            call=call,
            direction=direction,
            applicant=applicant,
            lead_unit=applicant.organisation,
            title=f"预申报{n}",
            stage=Proposal.Stage.PRE,
            state=Proposal.State.FORMAL_PASSED,
        )
        for n in range(2)
    ]
    expert = ExpertFactory(
        user=expert_user, name="刘洋", organisation=Organisation.objects.get(name="中国示范科学研究院")
    )
    base = live_server.url

    with browser_page() as (page, errors):
        # The agency creates the round with two criteria.
        log_in(page, base, "agency")
        page.goto(f"{base}/reviews/rounds/new/?call={call.pk}")
        page.fill("#id_title", "首轮评审（浏览器）")
        page.select_option("#id_kind", "first_round")
        page.select_option("#id_aggregation", "weighted")
        deadline = timezone.localtime(timezone.now() + dt.timedelta(days=7)).strftime("%Y-%m-%dT%H:%M")
        page.fill("#id_deadline", deadline)
        page.fill("#id_criteria", "创新性 | 60 | 100\n可行性 | 40 | 10")
        page.click("[data-testid=round-create]")
        page.wait_for_url(re.compile(r".*/reviews/rounds/\d+/$"))
        review_round = ReviewRound.objects.get(title="首轮评审（浏览器）")
        assert review_round.criteria.count() == 2

        # The experts: one item per pre-application, the demo expert assigned (seeded here so
        # the journey does not depend on the library's size).
        group = ReviewGroup.objects.create(review_round=review_round, name="方向一")
        items = [ReviewItem.objects.create(review_round=review_round, group=group, proposal=p) for p in proposals]
        assignments = [Assignment.objects.create(item=item, expert=expert) for item in items]
        ReviewRound.objects.filter(pk=review_round.pk).update(state=ReviewRound.State.ASSIGNED)

        page.goto(f"{base}/reviews/rounds/{review_round.pk}/")
        with page.expect_navigation():
            page.click("[data-testid=round-open]")
        review_round.refresh_from_db()
        assert review_round.state == "open"

        # The expert declares no conflict, scores and submits each application.
        log_in(page, base, "expert")
        for assignment, values in zip(assignments, [("90", "8"), ("70", "5")], strict=True):
            page.goto(f"{base}/reviews/my/")
            page.click(f"[data-testid=assignment-{assignment.pk}]")
            page.click("[data-testid=declare]")
            page.check("input[name=has_conflict][value='0']")
            with page.expect_navigation():
                page.click("[data-testid=declare-submit]")
            page.goto(f"{base}/reviews/assignments/{assignment.pk}/")
            page.fill("[data-testid=criterion-1]", values[0])
            page.fill("[data-testid=criterion-2]", "11")
            page.select_option("[data-testid=recommendation]", "support")
            with page.expect_navigation():
                page.click("[data-testid=score-save]")
            assert not Assignment.objects.get(pk=assignment.pk).scores.exists()  # 11 > 10: refused (V2)
            page.fill("[data-testid=criterion-2]", values[1])
            page.fill("[data-testid=opinion]", "创新性突出")
            with page.expect_navigation():
                page.click("[data-testid=score-submit]")
            assert Assignment.objects.get(pk=assignment.pk).state == "submitted"

        # The agency closes the round and sees the ranking.
        log_in(page, base, "agency")
        page.goto(f"{base}/reviews/rounds/{review_round.pk}/")
        with page.expect_navigation():
            page.click("[data-testid=round-close]")
        first, second = items
        expect(page.locator(f"[data-testid=item-{first.pk}] [data-testid=aggregate]")).to_have_text("86.00")
        expect(page.locator(f"[data-testid=item-{first.pk}] [data-testid=rank]")).to_have_text("1")
        expect(page.locator(f"[data-testid=item-{second.pk}] [data-testid=aggregate]")).to_have_text("62.00")
        expect(page.locator(f"[data-testid=item-{second.pk}] [data-testid=rank]")).to_have_text("2")
        assert Proposal.objects.get(pk=proposals[0].pk).first_round_score == 86
        # The refused draft answers 400 (the form shown again with what was typed); nothing else fails.
        assert [e for e in errors if "status of 400" not in e] == []
        assert len(errors) <= 2
