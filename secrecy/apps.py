from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SecrecyConfig(AppConfig):
    name = "secrecy"
    verbose_name = _("Secrecy")
