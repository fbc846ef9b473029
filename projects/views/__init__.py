"""Pages of project establishment: one module per stage, each with its ``urlpatterns``, in the
order a project goes through them (the same stages as ``projects.services``)."""
