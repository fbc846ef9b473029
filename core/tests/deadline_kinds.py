"""Obligation kinds and a timer action used by the deadline tests. A test worker imports this
module too (CELERY_EXTRA_IMPORTS) so that it knows them."""

from core.deadlines import registry

registry.register_kind(
    registry.ObligationKind(code="test_report", label="Test report", rule="P6", article="KRD-MGMT §42")
)
registry.register_kind(
    registry.ObligationKind(code="test_timer", label="Test timer", rule="T7", article="REPORTS §19", action="test.fire")
)


@registry.register_action("test.fire")
def fire(obligation):
    """The side effect a test counts: one audit event per run."""
    from core import audit

    audit.record(actor=None, action="test.fired", target=obligation)
