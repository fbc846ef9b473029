"""Who may use a route: every URL in the portal declares it, and the route matrix test
walks the URLconf to prove that none is left undeclared.

A view declares its policy with ``@declare_access(...)`` (function views) or an ``access``
class attribute (DRF views, checked by ``DeclaredAccessPermission``). Routes provided by
Django or third-party packages are declared in ``EXTERNAL_ROUTES`` by URL name or namespace.

Denials answer 404, never 403, so a page's existence does not leak (design §1). Anonymous
users are sent to the login page (HTML) or get 401 (API).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpRequest, HttpResponse
from django.urls import URLPattern, URLResolver, get_resolver
from rest_framework import exceptions, permissions

from core.roles import Role


@dataclass(frozen=True)
class Access:
    """A route's access declaration.

    ``anonymous``: anyone may use it. ``roles``: the role codes admitted (empty means any
    signed-in user). ``staff``: Django staff only (the admin site). ``object_scoped``: the
    view further narrows to objects the user may see through a selector (404 otherwise).
    """

    anonymous: bool = False
    roles: frozenset[str] = field(default_factory=frozenset)
    staff: bool = False
    object_scoped: bool = False

    def admits(self, user) -> bool:
        if self.anonymous:
            return True
        if not user.is_authenticated or not user.is_active:
            return False
        if user.is_superuser:
            return True
        if self.staff:
            return user.is_staff
        if not self.roles:
            return True
        return bool(self.roles & user.role_codes)

    def describe(self) -> str:
        if self.anonymous:
            return "anonymous"
        if self.staff:
            return "staff"
        scope = " (object-scoped)" if self.object_scoped else ""
        if not self.roles:
            return f"authenticated{scope}"
        return "roles: " + ", ".join(sorted(self.roles)) + scope


PUBLIC = Access(anonymous=True)
AUTHENTICATED = Access()
STAFF = Access(staff=True)


def roles(*codes: str, object_scoped: bool = False) -> Access:
    unknown = set(codes) - set(Role.values)
    if unknown:
        raise ValueError(f"Unknown role codes: {sorted(unknown)}")
    return Access(roles=frozenset(codes), object_scoped=object_scoped)


def authenticated(*, object_scoped: bool = False) -> Access:
    return Access(object_scoped=object_scoped)


def declare_access(policy: Access) -> Callable:
    """Declare and enforce ``policy`` on a function view."""

    def decorator(view: Callable) -> Callable:
        @functools.wraps(view)
        def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            if not policy.admits(request.user):
                if not request.user.is_authenticated:
                    return redirect_to_login(request.get_full_path())
                raise Http404
            return view(request, *args, **kwargs)

        wrapper.access = policy
        return wrapper

    return decorator


class DeclaredAccessPermission(permissions.BasePermission):
    """DRF permission enforcing the view's ``access`` declaration (or, for a viewset action,
    its entry in ``action_access``); fails closed."""

    def has_permission(self, request, view) -> bool:
        policy: Access | None = getattr(view, "action_access", {}).get(getattr(view, "action", None)) or getattr(
            view, "access", None
        )
        if policy is None:
            raise exceptions.NotFound
        if policy.admits(request.user):
            return True
        if not request.user or not request.user.is_authenticated:
            raise exceptions.NotAuthenticated
        raise exceptions.NotFound


# Routes that Django or third-party packages provide, declared by URL name or namespace.
EXTERNAL_ROUTES: dict[str, Access] = {
    "admin": STAFF,
    "login": PUBLIC,
    "logout": PUBLIC,
    "password_change": AUTHENTICATED,
    "password_change_done": AUTHENTICATED,
    "set_language": PUBLIC,
    "javascript-catalog": PUBLIC,
    "schema": PUBLIC,
    "swagger-ui": PUBLIC,
}


def policy_for(callback: Callable, *, name: str | None, namespaces: Iterable[str]) -> Access | None:
    """The declaration of a resolved route, or None when it has none."""
    declared = getattr(callback, "access", None)
    if declared is None:
        view_class = getattr(callback, "view_class", None) or getattr(callback, "cls", None)
        declared = getattr(view_class, "access", None)
        # A viewset route: the policy of the action its GET (or else its first method) runs.
        actions = getattr(callback, "actions", None) or {}
        per_action = getattr(view_class, "action_access", {})
        if actions and per_action:
            action = actions.get("get") or next(iter(actions.values()))
            declared = per_action.get(action, declared)
    if declared is not None:
        return declared
    for namespace in namespaces:
        if namespace in EXTERNAL_ROUTES:
            return EXTERNAL_ROUTES[namespace]
    if name in EXTERNAL_ROUTES:
        return EXTERNAL_ROUTES[name]
    return None


@dataclass(frozen=True)
class DeclaredRoute:
    pattern: str
    name: str | None
    namespaces: tuple[str, ...]
    policy: Access | None

    @property
    def full_name(self) -> str | None:
        return ":".join((*self.namespaces, self.name)) if self.name else None

    @property
    def is_parameterised(self) -> bool:
        return "<" in self.pattern or "(?P" in self.pattern


def declared_routes() -> list[DeclaredRoute]:
    """Every route of the URLconf with its declaration (None where it has none)."""

    def walk(patterns, prefix: str, namespaces: tuple[str, ...]):
        for entry in patterns:
            if isinstance(entry, URLResolver):
                inner = (*namespaces, entry.namespace) if entry.namespace else namespaces
                yield from walk(entry.url_patterns, prefix + str(entry.pattern), inner)
            elif isinstance(entry, URLPattern):
                yield DeclaredRoute(
                    pattern=prefix + str(entry.pattern),
                    name=entry.name,
                    namespaces=namespaces,
                    policy=policy_for(entry.callback, name=entry.name, namespaces=namespaces),
                )

    return list(walk(get_resolver().url_patterns, "", ()))
