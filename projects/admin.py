from django.contrib import admin

from core.admin_audit import AuditedModelAdmin
from projects.models import Program, SpecialProject


@admin.register(Program)
class ProgramAdmin(AuditedModelAdmin):
    list_display = ("code", "name")


@admin.register(SpecialProject)
class SpecialProjectAdmin(AuditedModelAdmin):
    list_display = ("name", "program", "managing_agency")
    list_filter = ("program",)
    list_select_related = ("program", "managing_agency")
