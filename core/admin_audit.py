"""Admin-site changes go into the audit trail too (O1): who changed which fields, from where."""

from __future__ import annotations

from django.contrib import admin
from django.db import transaction

from core import audit


class AuditedModelAdmin(admin.ModelAdmin):
    """Records an audit event for every add, change and delete made in the admin site."""

    audit_exclude_fields: frozenset[str] = frozenset({"password"})

    def save_model(self, request, obj, form, change):
        with transaction.atomic():
            before = {}
            if change:
                stored = type(obj)._default_manager.filter(pk=obj.pk).values().first() or {}
                before = {field.name: stored.get(field.attname) for field in obj._meta.concrete_fields}
            super().save_model(request, obj, form, change)
            fields = [name for name in form.changed_data if name in {f.name for f in obj._meta.concrete_fields}]
            after = {name: getattr(obj, obj._meta.get_field(name).attname) for name in fields}
            changes = audit.diff({name: before.get(name) for name in fields}, after) if change else audit.snapshot(obj)
            for name in self.audit_exclude_fields & set(changes):
                changes[name] = ["***", "***"]
            audit.record(
                actor=request.user,
                action=f"admin.{'change' if change else 'add'}.{obj._meta.model_name}",
                target=obj,
                changes=changes,
            )

    def save_related(self, request, form, formsets, change):
        obj = form.instance
        many_to_many = [field.name for field in obj._meta.many_to_many if field.name in form.changed_data]
        before = (
            {name: sorted(str(item) for item in getattr(obj, name).all()) for name in many_to_many} if change else {}
        )
        super().save_related(request, form, formsets, change)
        after = {name: sorted(str(item) for item in getattr(obj, name).all()) for name in many_to_many}
        changes = audit.diff(before, after)
        if changes:
            audit.record(
                actor=request.user, action=f"admin.relations.{obj._meta.model_name}", target=obj, changes=changes
            )

    def delete_model(self, request, obj):
        with transaction.atomic():
            audit.record(actor=request.user, action=f"admin.delete.{obj._meta.model_name}", target=obj)
            super().delete_model(request, obj)
