from django.contrib import admin

from core.admin_audit import AuditedModelAdmin
from projects.models import Program, Project, SpecialProject


@admin.register(Program)
class ProgramAdmin(AuditedModelAdmin):
    list_display = ("code", "name")


@admin.register(SpecialProject)
class SpecialProjectAdmin(AuditedModelAdmin):
    list_display = ("name", "program", "managing_agency")
    list_filter = ("program",)
    list_select_related = ("program", "managing_agency")


@admin.register(Project)
class ProjectAdmin(AuditedModelAdmin):
    list_display = ("number", "title", "program", "lead_unit", "leader", "start_date", "end_date", "state")
    list_filter = ("program", "state")
    search_fields = ("number", "title")
    list_select_related = ("program", "lead_unit", "leader")
    raw_id_fields = ("leader",)
