from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import viewsets
from rest_framework.exceptions import NotFound
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.settings import api_settings

from customers.api.serializers import CustomerRecordSerializer, OrganizationSerializer, UserSerializer
from hosting.selectors import customer_record_list, directory_object_get, organization_list, user_list
from portal.engine import Caller
from portal.errors import InvalidArgument


@extend_schema(
    parameters=[
        OpenApiParameter(
            "path", str, description="Only the record of this LDAP:// path (letter case ignored)."
        )
    ]
)
class CustomerRecordViewSet(viewsets.ReadOnlyModelViewSet):
    """Plans database records inside the caller's scope."""

    serializer_class = CustomerRecordSerializer
    filter_backends: list = []

    def get_queryset(self):
        return customer_record_list(
            Caller.from_user(self.request.user), path=self.request.query_params.get("path")
        )


DIRECTORY_FILTERS = [
    OpenApiParameter(
        "parent",
        str,
        description="Only the objects directly in this organization: its LDAP:// path or its GUID.",
    ),
    OpenApiParameter("name", str, description="Only the objects of this name (letter case ignored)."),
]
GUID_PATTERN = r"\{?[0-9a-fA-F-]{32,36}\}?"


class _DirectoryViewSet(viewsets.ViewSet):
    """A read-only view of the directory inside the caller's scope; changes go through
    ``/api/procedures/``."""

    lookup_field = "guid"
    lookup_value_regex = GUID_PATTERN
    kind = ""
    serializer_class = OrganizationSerializer

    def _list(self, caller: Caller, parent: str | None, name: str | None) -> list:
        raise NotImplementedError

    def list(self, request: Request) -> Response:
        params = request.query_params
        objects = self._list(Caller.from_user(request.user), params.get("parent"), params.get("name"))
        paginator = self.paginator
        page = paginator.paginate_queryset(objects, request, view=self)
        return paginator.get_paginated_response(self.serializer_class(page, many=True).data)

    def retrieve(self, request: Request, guid: str) -> Response:
        try:
            found = directory_object_get(Caller.from_user(request.user), guid, kind=self.kind)
        except InvalidArgument:
            found = None
        if found is None:
            raise NotFound(f"No {self.kind} with the GUID {guid} in your scope.")
        return Response(self.serializer_class(found).data)

    pagination_class = api_settings.DEFAULT_PAGINATION_CLASS

    @property
    def paginator(self):
        if not hasattr(self, "_paginator"):
            self._paginator = self.pagination_class()
        return self._paginator


@extend_schema_view(
    list=extend_schema(parameters=DIRECTORY_FILTERS, responses=OrganizationSerializer(many=True)),
    retrieve=extend_schema(responses=OrganizationSerializer),
)
class OrganizationViewSet(_DirectoryViewSet):
    """Organizations (OUs) of the hosting tree inside the caller's scope, by GUID."""

    kind = "organization"
    serializer_class = OrganizationSerializer

    def _list(self, caller: Caller, parent: str | None, name: str | None) -> list:
        return organization_list(caller, parent=parent, name=name)


@extend_schema_view(
    list=extend_schema(parameters=DIRECTORY_FILTERS, responses=UserSerializer(many=True)),
    retrieve=extend_schema(responses=UserSerializer),
)
class UserViewSet(_DirectoryViewSet):
    """Users of the hosting tree inside the caller's scope, by GUID."""

    kind = "user"
    serializer_class = UserSerializer

    def _list(self, caller: Caller, parent: str | None, name: str | None) -> list:
        return user_list(caller, parent=parent, name=name)
