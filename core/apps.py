from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "core"
    verbose_name = _("Core")

    def ready(self) -> None:
        from core import beat, dashboard
        from core.deadlines.todo import deadline_todo_items

        dashboard.register(deadline_todo_items)

        beat.register("core-worker-heartbeat", "core.tasks.heartbeat", 30.0)
        beat.register("core-deadlines-sweep", "core.tasks.deadlines_sweep", 60.0)
