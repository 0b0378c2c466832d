"""``/api/procedures/``: list the engine's procedures and run one."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiExample, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from portal.engine import Batch, Caller, Impersonate, all_procedures, jsonable


class ProcedureCallSerializer(serializers.Serializer):
    """A procedure call: the same names as an MPS ``<execute>``."""

    namespace = serializers.CharField()
    procedure = serializers.CharField()
    executeData = serializers.DictField(  # noqa: N815 - MPS name
        required=False,
        default=dict,
        help_text="The procedure's arguments, as components/schemas/<Namespace><Procedure>ExecuteData "
        "describes them.",
    )
    impersonate = serializers.ChoiceField(
        choices=[int(value) for value in Impersonate], required=False, default=int(Impersonate.CALLER)
    )
    doNotLog = serializers.ListField(  # noqa: N815 - the MPS attribute do-not-log
        child=serializers.CharField(),
        required=False,
        default=list,
        help_text='Names of executeData values never to be written anywhere (MPS: do-not-log="1"); '
        "secret arguments such as newPassword always are.",
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
        execute_data = data["executeData"]
        secrets = {
            name: execute_data[name]
            for name in data["doNotLog"]
            if isinstance(execute_data.get(name), str) and execute_data[name]
        }
        with Batch(Caller.from_user(request.user), "api") as batch:
            result = batch.call(
                f"{data['namespace']}::{data['procedure']}",
                execute_data,
                impersonate=data["impersonate"],
                do_not_log=secrets,
            )
        return Response(
            {"executeData": jsonable({key: value for key, value in result.items() if key not in secrets})}
        )
