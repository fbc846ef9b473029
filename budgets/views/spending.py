"""Budget pages: spending."""

urlpatterns: list = []
