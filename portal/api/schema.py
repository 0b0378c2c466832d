"""How the OpenAPI schema describes the portal's own authentication classes."""

from __future__ import annotations

from drf_spectacular.extensions import OpenApiAuthenticationExtension


class DirectoryBasicAuthenticationScheme(OpenApiAuthenticationExtension):
    """HTTP Basic with directory credentials (``portal.auth.DirectoryBasicAuthentication``)."""

    target_class = "portal.auth.DirectoryBasicAuthentication"
    name = "basicAuth"

    def get_security_definition(self, auto_schema) -> dict:
        return {
            "type": "http",
            "scheme": "basic",
            "description": "The caller's directory logon name (or userPrincipalName) and password.",
        }


_TYPES = {"int": "integer", "bool": "boolean", "decimal": "string", "date": "string", "datetime": "string"}


def procedure_inputs(result: dict, generator, request, public) -> dict:
    """Add one schema per procedure, ``<Namespace><Procedure>ExecuteData``, describing the
    ``executeData`` of ``POST /api/procedures/`` for it: the documented argument names, which
    are required, their choices. A secret argument (``newPassword``: the pages send it with
    ``do-not-log="1"``) is ``writeOnly`` with ``format: password`` and ``x-do-not-log: true``: it
    is never written to an audit record, log line, job row, error text or answer."""
    from portal.engine import all_procedures

    schemas = result.setdefault("components", {}).setdefault("schemas", {})
    for proc in all_procedures():
        if proc.private:
            continue
        properties: dict[str, dict] = {}
        for arg in proc.schema.args:
            if arg.kind == "list":
                prop: dict = {"type": "array", "items": {"type": _TYPES.get(arg.item_kind, "string")}}
            elif arg.kind == "struct":
                prop = {"type": "object", "additionalProperties": True}
            else:
                prop = {"type": _TYPES.get(arg.kind, "string")}
            if arg.description:
                prop["description"] = arg.description
            if arg.choices:
                prop["enum"] = list(arg.choices)
            if arg.secret:
                prop.update({"writeOnly": True, "format": "password", "x-do-not-log": True})
            properties[arg.name] = prop
        schemas[proc.namespace.replace(" ", "") + proc.name + "ExecuteData"] = {
            "title": proc.full_name,
            "type": "object",
            "description": proc.description,
            "properties": properties,
            "required": [arg.name for arg in proc.schema.args if arg.required],
            "additionalProperties": False,
        }
    return result
