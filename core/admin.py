from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from core import services
from core.models import AuditEvent, CalendarDay, Notification

admin.site.site_header = _("National S&T Program Management Portal — administration")
admin.site.site_title = _("Portal administration")
admin.site.index_title = _("Administration")


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    """Read-only: the audit trail is append-only (O1), even here."""

    list_display = ("created_at", "actor_username", "action", "rule", "content_type", "object_repr", "ip_address")
    list_filter = ("action", "rule", "content_type")
    search_fields = ("actor_username", "action", "object_repr", "object_id")
    date_hierarchy = "created_at"
    list_select_related = ("content_type",)
    readonly_fields = [field.name for field in AuditEvent._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(CalendarDay)
class CalendarDayAdmin(admin.ModelAdmin):
    list_display = ("date", "is_working_day", "name")
    list_filter = ("is_working_day",)
    search_fields = ("name",)
    date_hierarchy = "date"

    def save_model(self, request, obj, form, change):
        services.calendar_day_set(actor=request.user, date=obj.date, is_working_day=obj.is_working_day, name=obj.name)


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ("created_at", "recipient", "title", "read_at")
    list_select_related = ("recipient",)
    search_fields = ("title", "recipient__username")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
