from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.utils.translation import gettext_lazy as _

from accounts.models import CreditRecord, Organisation, User
from core.admin_audit import AuditedModelAdmin


@admin.register(Organisation)
class OrganisationAdmin(AuditedModelAdmin):
    list_display = ("name", "credit_code", "kind", "is_registered_in_mainland", "is_independent_legal_entity")
    list_filter = ("kind", "is_registered_in_mainland", "is_independent_legal_entity")
    search_fields = ("name", "credit_code", "supervising_department")


@admin.register(User)
class UserAdmin(AuditedModelAdmin, DjangoUserAdmin):
    list_display = ("username", "real_name", "organisation", "is_real_name_verified", "is_active", "is_staff")
    list_filter = ("groups", "is_real_name_verified", "is_active", "is_staff")
    list_select_related = ("organisation",)
    search_fields = ("username", "real_name", "email", "phone", "organisation__name")
    fieldsets = (
        (None, {"fields": ("username", "password")}),
        (_("Identity"), {"fields": ("real_name", "email", "phone", "organisation", "is_real_name_verified")}),
        (_("Roles and permissions"), {"fields": ("is_active", "is_staff", "is_superuser", "groups")}),
        (_("Important dates"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (None, {"classes": ("wide",), "fields": ("username", "real_name", "organisation", "password1", "password2")}),
    )


@admin.register(CreditRecord)
class CreditRecordAdmin(AuditedModelAdmin):
    list_display = ("organisation", "person_name", "severity", "recorded_on", "in_force_until")
    list_filter = ("severity",)
    search_fields = ("organisation__name", "person_name", "person_id_number")
