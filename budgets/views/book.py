"""Budget pages: book."""

urlpatterns: list = []
