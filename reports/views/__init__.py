"""Pages of the report depository; each module lists its ``urlpatterns``."""

from reports.views import project, public

urlpatterns: list = [*public.urlpatterns, *project.urlpatterns]
