"""``/api/procedures/``: list the engine's procedures and run one."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiExample, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from portal.engine import Caller, Impersonate, all_procedures, jsonable, run


class ProcedureCallSerializer(serializers.Serializer):
    """A procedure call: the same names as an MPS ``<execute>``."""

    namespace = serializers.CharField()
    procedure = serializers.CharField()
    executeData = serializers.DictField(required=False, default=dict)  # noqa: N815 - MPS name
    impersonate = serializers.ChoiceField(
        choices=[int(value) for value in Impersonate], required=False, default=int(Impersonate.CALLER)
    )


class ProcedureListView(APIView):
    """The registered procedures with their input schemas; POST runs one through the engine."""

    @extend_schema(
        responses=inline_serializer(
            "ProcedureDescription",
            {
                "namespace": serializers.CharField(),
                "procedure": serializers.CharField(),
                "description": serializers.CharField(),
                "security": serializers.CharField(),
                "input": serializers.ListField(child=serializers.DictField()),
            },
            many=True,
        )
    )
    def get(self, request: Request) -> Response:
        return Response([proc.describe() for proc in all_procedures() if not proc.private])

    @extend_schema(
        request=ProcedureCallSerializer,
        responses={200: inline_serializer("ProcedureResult", {"executeData": serializers.DictField()})},
        examples=[
            OpenApiExample(
                "EnableCustomerForPlans",
                value={
                    "namespace": "MPS Import",
                    "procedure": "EnableCustomerForPlans",
                    "executeData": {
                        "path": "LDAP://OU=AlpineSkiHouse,OU=ConsolidatedMessenger,OU=Hosting,DC=fabrikam,DC=com",
                        "preferredDomainController": "AD01.fabrikam.com",
                        "customerTypeName": "BusinessOrganization",
                    },
                },
                request_only=True,
            )
        ],
        description="Runs one procedure through the engine; errors answer "
        '`{"error": {"code", "name", "description", "field", "sources"}}` with the status the MPS '
        "door uses for the same error.",
    )
    def post(self, request: Request) -> Response:
        call = ProcedureCallSerializer(data=request.data)
        call.is_valid(raise_exception=True)
        data = call.validated_data
        result = run(
            Caller.from_user(request.user),
            f"{data['namespace']}::{data['procedure']}",
            data["executeData"],
            door="api",
            impersonate=data["impersonate"],
        )
        return Response({"executeData": jsonable(result)})
