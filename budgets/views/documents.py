"""Budget pages: documents."""

urlpatterns: list = []
