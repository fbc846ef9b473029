from django.contrib import admin, messages
from django.http import Http404
from django.shortcuts import redirect
from django.urls import path
from django.utils.translation import gettext_lazy as _

from core import audit, services
from core.deadlines.dispatch import sweep
from core.models import AuditEvent, CalendarDay, DeadlineDispatch, EmailDelivery, Notification, Obligation
from core.selectors import known, known_targets, need_to_know_paths

admin.site.site_header = _("National S&T Program Management Portal — administration")
admin.site.site_title = _("Portal administration")
admin.site.index_title = _("Administration")


class NeedToKnowAdminMixin:
    """S6 — SECRETS-LAW §16: staff who are not superusers see in the admin site only the rows
    they may know of: a classified object (or one that belongs to it) is absent from the change
    list, its search and its counts, and its change page answers as for a missing object."""

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if request.user.is_superuser:
            return queryset
        via = need_to_know_paths().get(queryset.model)
        return queryset if via is None else known(queryset, request.user, via=via)


class TargetNeedToKnowAdminMixin:
    """The same for rows that name their object generically (obligations, audit events)."""

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        return queryset if request.user.is_superuser else known_targets(queryset, request.user)


class ReadOnlyAdmin(admin.ModelAdmin):
    """Records written only by services: viewable, never added, changed or deleted here."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(AuditEvent)
class AuditEventAdmin(TargetNeedToKnowAdminMixin, ReadOnlyAdmin):
    """Read-only: the audit trail is append-only (O1), even here."""

    list_display = ("created_at", "actor_username", "action", "rule", "content_type", "object_repr", "ip_address")
    list_filter = ("action", "rule", "content_type")
    search_fields = ("actor_username", "action", "object_repr", "object_id")
    date_hierarchy = "created_at"
    list_select_related = ("content_type",)
    readonly_fields = [field.name for field in AuditEvent._meta.fields]


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


@admin.register(Obligation)
class ObligationAdmin(TargetNeedToKnowAdminMixin, ReadOnlyAdmin):
    """Obligations by state and kind; the sweep can be run from here."""

    change_list_template = "admin/core/obligation/change_list.html"
    list_display = ("title", "kind", "rule", "article", "due_at", "state", "managing_organisation")
    list_filter = ("state", "kind", "rule", "managing_organisation")
    search_fields = ("title", "object_id", "period")
    date_hierarchy = "due_at"
    list_select_related = ("managing_organisation",)
    readonly_fields = [field.name for field in Obligation._meta.concrete_fields]
    filter_horizontal = ()

    def get_urls(self):
        return [
            path(
                "sweep/",
                self.admin_site.admin_view(self.run_sweep),
                name="core_obligation_sweep",
            ),
            *super().get_urls(),
        ]

    def run_sweep(self, request):
        """Run the deadline sweep now (what beat does every minute)."""
        if request.method != "POST" or not self.has_view_permission(request):
            raise Http404
        result = sweep()
        audit.record(
            actor=request.user,
            action="deadlines.sweep_now",
            changes={"dispatches": [None, result.dispatches], "emails": [None, result.emails]},
        )
        messages.success(
            request,
            _("Sweep run: %(dispatches)d reminders, notices or timers and %(emails)d emails handed to the workers.")
            % {"dispatches": result.dispatches, "emails": result.emails},
        )
        return redirect("admin:core_obligation_changelist")


@admin.register(DeadlineDispatch)
class DeadlineDispatchAdmin(ReadOnlyAdmin):
    """The send log: every reminder, due notice and timer, keyed (obligation, key, due moment)."""

    list_display = ("obligation", "key", "scheduled_at", "state", "enqueued_at", "done_at", "recipient_count")
    list_filter = ("state", "key")
    search_fields = ("obligation__title",)
    date_hierarchy = "scheduled_at"
    list_select_related = ("obligation",)
    readonly_fields = [field.name for field in DeadlineDispatch._meta.concrete_fields]

    def get_queryset(self, request):
        # S6: a dispatch is hidden with its obligation (its title names the object).
        queryset = super().get_queryset(request)
        if request.user.is_superuser:
            return queryset
        return queryset.filter(obligation__in=known_targets(Obligation.objects.all(), request.user))


@admin.register(EmailDelivery)
class EmailDeliveryAdmin(ReadOnlyAdmin):
    list_display = ("address", "subject", "state", "attempts", "next_attempt_at", "sent_at")
    list_filter = ("state",)
    search_fields = ("address", "subject")
    readonly_fields = [field.name for field in EmailDelivery._meta.concrete_fields]
