"""Review pages: scoring."""

urlpatterns: list = []
