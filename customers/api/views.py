from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view

from customers.api.serializers import CustomerRecordSerializer, OrganizationSerializer, UserSerializer
from hosting.models import CustomerRecord
from hosting.selectors import customer_record_list, directory_object_get, organization_list, user_list
from portal.api.scoped import ScopedViewSet


@extend_schema(
    parameters=[
        OpenApiParameter(
            "path", str, description="Only the record of this LDAP:// path (letter case ignored)."
        )
    ]
)
class CustomerRecordViewSet(ScopedViewSet):
    """Plans database records inside the caller's scope."""

    queryset = CustomerRecord.objects.none()
    serializer_class = CustomerRecordSerializer
    selector = customer_record_list
    filters = ("path",)


DIRECTORY_FILTERS = [
    OpenApiParameter(
        "parent",
        str,
        description="Only the objects directly in this organization: its LDAP:// path or its GUID.",
    ),
    OpenApiParameter("name", str, description="Only the objects of this name (letter case ignored)."),
]
GUID_PATTERN = r"\{?[0-9a-fA-F-]{32,36}\}?"


class _DirectoryViewSet(ScopedViewSet):
    """A read-only view of the directory inside the caller's scope, by GUID; changes go through
    ``/api/procedures/``."""

    lookup_field = "guid"
    lookup_value_regex = GUID_PATTERN
    filters = ("parent", "name")
    not_found = "No {kind} with the GUID {{value}} in your scope."


@extend_schema_view(
    list=extend_schema(parameters=DIRECTORY_FILTERS, responses=OrganizationSerializer(many=True)),
    retrieve=extend_schema(responses=OrganizationSerializer),
)
class OrganizationViewSet(_DirectoryViewSet):
    """Organizations (OUs) of the hosting tree inside the caller's scope, by GUID."""

    serializer_class = OrganizationSerializer
    selector = organization_list
    getter = staticmethod(lambda caller, guid: directory_object_get(caller, guid, kind="organization"))
    not_found = _DirectoryViewSet.not_found.format(kind="organization")


@extend_schema_view(
    list=extend_schema(parameters=DIRECTORY_FILTERS, responses=UserSerializer(many=True)),
    retrieve=extend_schema(responses=UserSerializer),
)
class UserViewSet(_DirectoryViewSet):
    """Users of the hosting tree inside the caller's scope, by GUID."""

    serializer_class = UserSerializer
    selector = user_list
    getter = staticmethod(lambda caller, guid: directory_object_get(caller, guid, kind="user"))
    not_found = _DirectoryViewSet.not_found.format(kind="user")
