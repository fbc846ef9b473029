"""Budget pages: one module per stage, each with its ``urlpatterns``."""
