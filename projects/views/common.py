"""What the pages of several stages share."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.http import HttpResponse
from django.shortcuts import redirect
from django.urls import reverse

from core.exceptions import RuleViolation


def back(proposal, anchor: str = "") -> HttpResponse:
    """Back to the proposal's page, at the section ``anchor`` names."""
    return redirect(f"{reverse('projects:proposal_detail', args=[proposal.pk])}{anchor}")


@contextmanager
def findings_listed() -> Iterator[None]:
    """A refusal on several eligibility checks (P2) shows each check with its rule and the
    item it concerns ("P2 · …"), not only the count its message gives. Inside ``refusals``:

        with refusals(request) as outcome, findings_listed():
            services.proposal_submit(...)
    """
    try:
        yield
    except RuleViolation as error:
        if not error.findings:
            raise
        findings = [
            {**finding, "message": f"{finding['rule']} · {finding['message']} {finding['item']}".strip()}
            for finding in error.findings
        ]
        raise RuleViolation(
            error.rule, error.message, fields=error.fields, code=error.code, findings=findings
        ) from error
