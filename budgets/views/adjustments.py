"""Budget pages: adjustments."""

urlpatterns: list = []
