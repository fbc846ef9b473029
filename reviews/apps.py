from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReviewsConfig(AppConfig):
    name = "reviews"
    verbose_name = _("Expert review")

    def ready(self) -> None:
        from reviews import contributions

        contributions.register()
        from core import navigation
        from core.access import roles
        from core.deadlines.registry import ObligationKind, register_kind

        register_kind(
            ObligationKind(
                code="review_scoring",
                label=_("Expert scores due"),
                rule="V4",
                article="INTL §46, EVAL §22",
            )
        )
        navigation.register(navigation.NavItem(_("My reviews"), "reviews:my_assignments", roles("expert"), order=25))
        navigation.register(
            navigation.NavItem(_("Review rounds"), "reviews:round_list", roles("agency", "ministry", "admin"), order=35)
        )
