"""Review pages: assignment."""

urlpatterns: list = []
