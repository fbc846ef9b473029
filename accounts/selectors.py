"""Scoped reads of users. Who holds a role in a unit is answered in ``core.roles`` (the deadline
engine asks it too) and re-exported here."""

from core.roles import users_with_role

__all__ = ["users_with_role"]
