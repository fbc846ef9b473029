"""Pages of the secrecy app; each module lists its ``urlpatterns``."""

from secrecy.views import actions, classifications, entries, filings, leaks

urlpatterns: list = [
    *classifications.urlpatterns,
    *actions.urlpatterns,
    *entries.urlpatterns,
    *filings.urlpatterns,
    *leaks.urlpatterns,
]
