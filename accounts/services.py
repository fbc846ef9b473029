"""State changes of users, organisations and roles."""

from django.contrib.auth.models import Group, Permission
from django.db import transaction
from django.db.models import Q

from accounts.models import Organisation, User
from accounts.roles import STAFF_ROLES, Role
from core import audit
from core.locks import lock

# What the system administrator role manages in the admin site (design §1: users,
# organisations, system settings such as the official calendar).
ADMIN_ROLE_PERMISSIONS = {
    ("accounts", "user"): ("view", "add", "change"),
    ("accounts", "organisation"): ("view", "add", "change"),
    ("auth", "group"): ("view",),
    ("core", "calendarday"): ("view", "add", "change", "delete"),
    ("core", "auditevent"): ("view",),
    ("core", "notification"): ("view",),
    ("core", "obligation"): ("view",),
    ("core", "deadlinedispatch"): ("view",),
    ("core", "emaildelivery"): ("view",),
    ("projects", "project"): ("view",),
    ("projects", "program"): ("view", "add", "change"),
    ("projects", "specialproject"): ("view", "add", "change"),
}


def role_groups_ensure() -> dict[str, Group]:
    """Create the nine role groups of design §1 when missing, and give the admin role its
    model permissions."""
    groups = {code: Group.objects.get_or_create(name=code)[0] for code in Role.values}
    wanted = Q()
    for (app_label, model), actions in ADMIN_ROLE_PERMISSIONS.items():
        wanted |= Q(
            content_type__app_label=app_label,
            content_type__model=model,
            codename__in=[f"{action}_{model}" for action in actions],
        )
    groups[Role.ADMIN].permissions.add(*Permission.objects.filter(wanted))
    return groups


@transaction.atomic
def organisation_create(*, actor: User | None, **fields) -> Organisation:
    organisation = Organisation(**fields)
    organisation.full_clean()
    organisation.save()
    audit.record(actor=actor, action="organisation.create", target=organisation, changes=audit.snapshot(organisation))
    return organisation


@transaction.atomic
def user_create(
    *,
    actor: User | None,
    username: str,
    password: str,
    roles: list[str],
    organisation: Organisation | None = None,
    **fields,
) -> User:
    user = User(username=username, organisation=organisation, **fields)
    user.is_staff = bool(STAFF_ROLES & set(roles))
    user.set_password(password)
    user.full_clean(exclude=["password"])
    user.save()
    groups = role_groups_ensure()
    user.groups.set([groups[code] for code in roles])
    audit.record(
        actor=actor,
        action="user.create",
        target=user,
        changes={
            **audit.snapshot(user, exclude={"password", "last_login", "is_superuser", "date_joined"}),
            "roles": [None, sorted(roles)],
        },
    )
    return user


@transaction.atomic
def user_set_roles(*, actor: User | None, user: User, roles: list[str]) -> User:
    user = lock(User, user.pk)
    before = sorted(user.groups.values_list("name", flat=True))
    groups = role_groups_ensure()
    user.groups.set([groups[code] for code in roles])
    was_staff = user.is_staff
    user.is_staff = bool(STAFF_ROLES & set(roles)) or user.is_superuser
    user.save(update_fields=["is_staff"])
    changes = {"roles": [before, sorted(roles)]}
    if was_staff != user.is_staff:
        changes["is_staff"] = [was_staff, user.is_staff]
    audit.record(actor=actor, action="user.set_roles", target=user, changes=changes)
    return user
