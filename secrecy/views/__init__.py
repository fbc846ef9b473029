"""Pages of the secrecy app; each module lists its ``urlpatterns``."""

urlpatterns: list = []
