"""The main navigation. Apps register items with the access policy that shows them."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from core.access import AUTHENTICATED, STAFF, Access, roles


@dataclass(frozen=True)
class NavItem:
    label: str | Promise
    url_name: str
    access: Access
    order: int = 100


_ITEMS: list[NavItem] = []


def register(item: NavItem) -> None:
    _ITEMS.append(item)
    _ITEMS.sort(key=lambda entry: entry.order)


def items_for_user(user) -> list[NavItem]:
    return [item for item in _ITEMS if item.access.admits(user)]


register(NavItem(_("My tasks"), "core:dashboard", AUTHENTICATED, order=0))
register(NavItem(_("My deadlines"), "core:deadlines", AUTHENTICATED, order=10))
register(NavItem(_("Call guides"), "projects:call_list", AUTHENTICATED, order=20))
register(NavItem(_("Indirect-cost calculator"), "budgets:calculator", AUTHENTICATED, order=40))
register(
    NavItem(
        _("Proposals"),
        "projects:proposal_list",
        roles("applicant", "unit_admin", "recommender", "agency", "ministry", "admin"),
        order=30,
    )
)
register(NavItem(_("Notifications"), "core:notifications", AUTHENTICATED, order=900))
register(NavItem(_("Audit trail"), "core:audit_list", roles("admin", "ministry"), order=950))
register(NavItem(_("Administration"), "admin:index", STAFF, order=990))
