"""Review pages: library."""

urlpatterns: list = []
