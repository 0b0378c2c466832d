"""The core's REST resources: the procedures' door (``/api/v1/portal/procedures/``)."""

from django.urls import path

from portal.api.views import ProcedureListView

#: ``/api/v1/portal/…`` (portal/api/versions.py); before version 1 ``/api/…``
API_PREFIX = "portal"
API_PREFIX_BEFORE_V1 = ""
API_RESOURCES_BEFORE_V1 = ("procedures",)

urlpatterns = [path("procedures/", ProcedureListView.as_view(), name="procedures")]
