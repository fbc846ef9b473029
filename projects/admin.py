from django.contrib import admin

from projects.models import Program, SpecialProject


@admin.register(Program)
class ProgramAdmin(admin.ModelAdmin):
    list_display = ("code", "name")


@admin.register(SpecialProject)
class SpecialProjectAdmin(admin.ModelAdmin):
    list_display = ("name", "program", "managing_agency")
    list_filter = ("program",)
    list_select_related = ("program", "managing_agency")
