from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IntellectualPropertyConfig(AppConfig):
    name = "intellectual_property"
    verbose_name = _("Intellectual property")
