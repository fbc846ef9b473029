"""Reads of the budget rules (no database): the indirect-cost calculator."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.utils import timezone

from budgets import rules


@dataclass(frozen=True)
class IndirectCapResult:
    edition: rules.PolicyEdition
    base: Decimal
    cap: Decimal
    tiers: list[rules.TierAmount]


def indirect_cap_for(
    *,
    program: str,
    direct: Decimal,
    equipment_purchase: Decimal,
    capital_construction: Decimal,
    edition: str = "",
    theory: bool = False,
) -> IndirectCapResult:
    """B2 — the cap of a subject's indirect costs under the edition chosen or in force today."""
    policy = rules.edition_for(program=program, on=timezone.localdate(), code=edition or None)
    base = rules.indirect_base(
        edition=policy, direct=direct, equipment_purchase=equipment_purchase, capital_construction=capital_construction
    )
    cap, tiers = rules.indirect_cap(
        base=base, tiers=policy.indirect_tiers, theory=theory, theory_rate=policy.theory_rate
    )
    return IndirectCapResult(edition=policy, base=base, cap=cap, tiers=tiers)
