"""Budget pages: review."""

urlpatterns: list = []
