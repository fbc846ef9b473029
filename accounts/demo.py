"""Demo organisations of every kind and one user per role (idempotent)."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core.management.base import CommandError

from accounts import services
from accounts.models import Organisation, User
from accounts.roles import Role
from accounts.validators import credit_code_check_character

# Loaded first: every other app's demo data belongs to these organisations and users (core.demo_loader).
ORDER = 10

DEFAULT_DEMO_PASSWORD = "demo-pass-2026"  # noqa: S105 - published demo password, refused unless DEBUG


def demo_credit_code(prefix: str) -> str:
    """A well-formed code (GB 32100-2015 check character) for demo organisations."""
    return prefix + credit_code_check_character(prefix)


# name, 17-character code body, kind, supervising department
ORGANISATIONS = [
    ("华北示范大学", "12100000400000001", Organisation.Kind.UNIVERSITY, "教育部"),
    ("中国示范科学研究院", "12100000400000002", Organisation.Kind.RESEARCH_INSTITUTE, "中国科学院"),
    ("华创示范科技股份有限公司", "91110108MA0000003", Organisation.Kind.ENTERPRISE, ""),
    ("示范项目管理专业机构", "12100000400000004", Organisation.Kind.AGENCY, "科学技术部"),
    ("科学技术部", "11100000000000005", Organisation.Kind.MINISTRY, "国务院"),
    ("示范省科学技术厅", "11440000000000006", Organisation.Kind.RECOMMENDING_DEPARTMENT, "示范省人民政府"),
    ("示范会计师事务所（特殊普通合伙）", "91110000MA0000007", Organisation.Kind.ACCOUNTING_FIRM, ""),
]

# username (= role code), real name, organisation index
USERS = [
    (Role.APPLICANT, "张明", 0),
    (Role.UNIT_ADMIN, "李华", 0),
    (Role.RECOMMENDER, "王芳", 5),
    (Role.AGENCY, "赵强", 3),
    (Role.MINISTRY, "陈静", 4),
    (Role.EXPERT, "刘洋", 1),
    (Role.AUDITOR, "周敏", 6),
    (Role.SECRECY_OFFICER, "孙伟", 3),
    (Role.ADMIN, "吴磊", 4),
]


def demo_password() -> str:
    """DEMO_PASSWORD, or the documented default — refused when DEBUG is off unless set."""
    if settings.DEMO_PASSWORD:
        return settings.DEMO_PASSWORD
    if not settings.DEBUG:
        raise CommandError(
            "DEMO_PASSWORD is not set and DEBUG is off: refusing to create demo accounts with the "
            "published default password. Set DEMO_PASSWORD explicitly."
        )
    return DEFAULT_DEMO_PASSWORD


def logins() -> tuple[str, list[tuple[str, str, str]]]:
    """The demo password and each demo login: username, real name, role."""
    return demo_password(), [(role.value, real_name, str(role.label)) for role, real_name, _index in USERS]


def load() -> list[str]:
    """Create what is missing; return the usernames created."""
    password = demo_password()
    services.role_groups_ensure()
    organisations = []
    for index, (name, body, kind, supervisor) in enumerate(ORGANISATIONS):
        organisation = Organisation.objects.filter(name=name).first()
        if organisation is None:
            organisation = services.organisation_create(
                actor=None,
                name=name,
                credit_code=demo_credit_code(body),
                kind=kind,
                supervising_department=supervisor,
                registration_date=dt.date(1990 + index, 1, 1),
            )
        organisations.append(organisation)
    created = []
    for role, real_name, organisation_index in USERS:
        if User.objects.filter(username=role.value).exists():
            continue
        services.user_create(
            actor=None,
            username=role.value,
            password=password,
            roles=[role.value],
            organisation=organisations[organisation_index],
            real_name=real_name,
            email=f"{role.value}@demo.example.cn",
            is_real_name_verified=True,
        )
        created.append(role.value)
    return created


def summary(created: list[str]) -> str:
    return f"{len(created)} users"
