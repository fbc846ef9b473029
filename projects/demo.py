"""Demo programmes and special projects (idempotent)."""

from accounts.models import Organisation
from projects.models import Program, SpecialProject

PROGRAMS = {
    Program.Code.KEY_RD: ("国家重点研发计划", ["合成生物学", "纳米科技", "智能机器人"]),
    Program.Code.MAJOR: ("国家科技重大专项", ["核心电子器件、高端通用芯片及基础软件产品", "重大新药创制"]),
    Program.Code.INTL: ("国家国际科技合作专项", ["政府间国际科技创新合作", "战略性国际科技创新合作"]),
}


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
    return created
