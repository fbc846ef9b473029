"""Demo programs, special projects and one active project (idempotent)."""

import datetime as dt

from accounts.models import Organisation, User
from projects import services
from projects.models import Program, Project, SpecialProject

PROGRAMS = {
    Program.Code.KEY_RD: ("国家重点研发计划", ["合成生物学", "纳米科技", "智能机器人"]),
    Program.Code.MAJOR: ("国家科技重大专项", ["核心电子器件、高端通用芯片及基础软件产品", "重大新药创制"]),
    Program.Code.INTL: ("国家国际科技合作专项", ["政府间国际科技创新合作", "战略性国际科技创新合作"]),
}
DEMO_PROJECT_NUMBER = "2026YFA0900100"

# Loaded after the organisations and users (core.demo_loader).
ORDER = 20


def summary(created: int) -> str:
    return f"{created} special projects"


def load() -> int:
    agency = Organisation.objects.filter(kind=Organisation.Kind.AGENCY).order_by("id").first()
    created = 0
    for code, (name, special_projects) in PROGRAMS.items():
        program, _created = Program.objects.get_or_create(code=code, defaults={"name": name})
        for special_name in special_projects:
            _project, was_created = SpecialProject.objects.get_or_create(
                program=program, name=special_name, defaults={"managing_agency": agency}
            )
            created += was_created
    leader = User.objects.filter(username="applicant").select_related("organisation").first()
    if leader is not None and not Project.objects.filter(number=DEMO_PROJECT_NUMBER).exists():
        key_rd = Program.objects.get(code=Program.Code.KEY_RD)
        services.project_create(
            actor=None,
            program=key_rd,
            special_project=SpecialProject.objects.get(program=key_rd, name="合成生物学"),
            number=DEMO_PROJECT_NUMBER,
            title="人工合成酵母基因组的设计与构建",
            lead_unit=leader.organisation,
            leader=leader,
            managing_agency=agency,
            start_date=dt.date(2026, 1, 1),
            end_date=dt.date(2029, 12, 31),
            funds_received_on=dt.date(2026, 3, 15),
        )
    for project in Project.objects.filter(state=Project.State.ACTIVE):
        services.project_obligations_ensure(project=project)
    load_open_call()
    return created


def load_open_call() -> None:
    """An open one-round call of 合成生物学, so that applicants can file in the demo."""
    from django.utils import timezone

    from projects.models import Call

    agency_user = User.objects.filter(username="agency").first()
    special = SpecialProject.objects.filter(name="合成生物学").first()
    if agency_user is None or special is None or Call.objects.filter(special_project=special, year=2027).exists():
        return
    call = services.call_create(
        actor=agency_user,
        special_project=special,
        title="“合成生物学”重点专项2027年度项目申报指南",
        year=2027,
        summary="围绕人工基因组合成、基因编辑与调控、合成生物制造等方向部署项目。",
        closes_at=timezone.now() + dt.timedelta(days=60),
        mode=Call.Mode.ONE_ROUND,
        leader_max_age=60,
        max_subjects=6,
        max_units_per_subject=4,
        max_participations=2,
        directions=[
            {
                "code": "1.1",
                "title": "人工基因组的设计与合成",
                "discipline_code": "180",
                "planned_projects": 3,
                "budget_outline": "60000000.00",
            },
            {"code": "2.1", "title": "合成生物制造关键酶的设计", "discipline_code": "530", "planned_projects": 2},
        ],
    )
    services.call_publish(actor=agency_user, call=call)
