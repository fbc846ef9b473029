from csp.decorators import csp_update
from django.conf import settings
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.views.i18n import JavaScriptCatalog
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.routers import SimpleRouter

from budgets import api as budgets_api
from core import views as core_views
from core.api import AuthTokenView, MeView
from core.deadlines.api import NotificationViewSet, ObligationViewSet
from projects import api as projects_api
from reports import api as reports_api
from reviews import api as reviews_api
from secrecy import api as secrecy_api

router = SimpleRouter()
router.register("obligations", ObligationViewSet, basename="obligation")
router.register("notifications", NotificationViewSet, basename="notification")
projects_paths = projects_api.register(router)
budget_paths = budgets_api.register(router)
review_paths = reviews_api.register(router)
secrecy_paths = secrecy_api.register(router)
reports_paths = reports_api.register(router)

api_v1 = [
    path("auth/token/", AuthTokenView.as_view(), name="auth-token"),
    path("me/", MeView.as_view(), name="me"),
    *router.urls,
    *projects_paths,
    *budget_paths,
    *review_paths,
    *secrecy_paths,
    *reports_paths,
]

urlpatterns = [
    path("", core_views.home, name="home"),
    path("healthz", core_views.healthz, name="healthz"),
    path("favicon.ico", core_views.favicon, name="favicon"),
    path("", include("core.urls")),
    path("", include("projects.urls")),
    path("", include("budgets.urls")),
    path("", include("reviews.urls")),
    path("", include("secrecy.urls")),
    path("", include("reports.urls")),
    path(
        "accounts/login/",
        auth_views.LoginView.as_view(
            redirect_authenticated_user=True, extra_context={"failure_limit": settings.AXES_FAILURE_LIMIT}
        ),
        name="login",
    ),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/password/", auth_views.PasswordChangeView.as_view(), name="password_change"),
    path("accounts/password/done/", auth_views.PasswordChangeDoneView.as_view(), name="password_change_done"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("jsi18n/", JavaScriptCatalog.as_view(), name="javascript-catalog"),
    path("admin/", admin.site.urls),
    path("api/v1/", include((api_v1, "api"), namespace="api")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    # Swagger UI ships an inline <style>; its page alone may apply inline styles.
    path(
        "api/docs/",
        csp_update({"style-src": ["'unsafe-inline'"]})(SpectacularSwaggerSplitView.as_view(url_name="schema")),
        name="swagger-ui",
    ),
]
