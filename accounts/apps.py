from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = _("Accounts and organisations")

    def ready(self) -> None:
        # After every migrate (and every flush): the nine role groups and the admin role's
        # model permissions exist.
        post_migrate.connect(_ensure_roles, dispatch_uid="accounts.ensure_roles")


def _ensure_roles(sender, using="default", **kwargs) -> None:
    if sender.name != "accounts":
        return
    from accounts.services import role_groups_ensure

    role_groups_ensure()
