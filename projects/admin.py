from django.contrib import admin

from core.admin import NeedToKnowAdminMixin
from core.admin_audit import AuditedModelAdmin
from projects.models import LibraryEntry, Program, Project, SpecialProject


@admin.register(Program)
class ProgramAdmin(AuditedModelAdmin):
    list_display = ("code", "name")


@admin.register(SpecialProject)
class SpecialProjectAdmin(AuditedModelAdmin):
    list_display = ("name", "program", "managing_agency")
    list_filter = ("program",)
    list_select_related = ("program", "managing_agency")


@admin.register(Project)
class ProjectAdmin(NeedToKnowAdminMixin, AuditedModelAdmin):
    """Projects; for staff who are not superusers, only those they may know of (S6)."""

    list_display = ("number", "title", "program", "lead_unit", "leader", "start_date", "end_date", "state")
    list_filter = ("program", "state")
    search_fields = ("number", "title")
    list_select_related = ("program", "lead_unit", "leader")
    raw_id_fields = ("leader",)


@admin.register(LibraryEntry)
class LibraryEntryAdmin(AuditedModelAdmin):
    list_display = ("title", "lead_unit", "foreign_partner", "foreign_partner_country", "entered_at")
    search_fields = ("title", "foreign_partner", "lead_unit__name")
    list_select_related = ("lead_unit",)
    readonly_fields = ("entered_by",)

    def save_model(self, request, obj, form, change):
        if not change:
            obj.entered_by = request.user
        super().save_model(request, obj, form, change)
