"""The nine roles of the portal (design §1), defined in ``core.roles``. Each is a Django group
named by its code."""

from core.roles import Role

__all__ = ["STAFF_ROLES", "Role"]

# Roles whose members work in the Django admin site.
STAFF_ROLES = frozenset({Role.ADMIN.value})
