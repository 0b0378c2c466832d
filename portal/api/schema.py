"""How the OpenAPI schema describes the versioned paths, the portal's own authentication classes and its
errors."""

from __future__ import annotations

from drf_spectacular.extensions import OpenApiAuthenticationExtension

from portal.api.versions import V1, is_deprecated_path, successor


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


#: the tag of every operation of the paths from before version 1
DEPRECATED_TAG = "deprecated (before v1)"


def version_paths(result: dict, generator, request, public) -> dict:
    """drf-spectacular postprocessing hook: an operation under ``/api/v1/<app>/`` is tagged with
    its app; one of the paths from before version 1 (portal/api/versions.py) is marked
    ``deprecated``, tagged :data:`DEPRECATED_TAG` and names the path that replaces it."""
    for path, operations in result.get("paths", {}).items():
        for operation in operations.values():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            if path.startswith(V1):
                operation["tags"] = [path[len(V1) :].split("/", 1)[0]]
            elif is_deprecated_path(path):
                operation["deprecated"] = True
                operation["tags"] = [DEPRECATED_TAG]
                note = (
                    "**Deprecated**: the path from before version 1, kept for existing integrations; "
                    f"it answers as `{successor(path)}` does, with a `Deprecation` header and a `Link` "
                    "to that path."
                )
                description = operation.get("description")
                operation["description"] = f"{note}\n\n{description}" if description else note
    return result


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


ERROR_SCHEMA = {
    "type": "object",
    "description": "An error, the same on every door: its code, name and text, the argument it is about "
    "(or null) and the procedures it passed through (innermost first).",
    "properties": {
        "error": {
            "type": "object",
            "properties": {
                "code": {"type": "string", "example": "0x80070057"},
                "name": {"type": "string", "example": "InvalidArgument"},
                "description": {"type": "string"},
                "field": {"type": "string", "nullable": True},
                "sources": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "properties": {"namespace": {"type": "string"}, "procedure": {"type": "string"}},
                        "required": ["namespace", "procedure"],
                    },
                },
            },
            "required": ["code", "name", "description", "field", "sources"],
        }
    },
    "required": ["error"],
}
ERRORS = {
    "400": "The request or an argument is malformed; `field` names the argument.",
    "401": "No valid directory credentials came with the request.",
    "403": "The caller's role or scope does not cover the call.",
    "404": "Nothing of that name in the caller's scope.",
    "405": "The method is not allowed here.",
    "406": "The answer cannot be given in the requested media type.",
    "415": "The request's media type is not accepted.",
    "429": "Logins of the account or from the address are locked out for a while.",
    "500": "An unexpected failure (InternalError); its cause is logged, not shown.",
    "503": "The database or the directory could not be reached or did not answer in time "
    "(DatabaseUnavailable, DirectoryError); try again.",
}
PROCEDURE_ERRORS = {
    "409": "The call collides with what exists, or with a concurrent call that created it first.",
    "422": "An object is not in the state the procedure requires.",
}


def document_errors(result: dict, generator, request, public) -> dict:
    """drf-spectacular postprocessing hook: every operation documents the errors every door may
    answer, in the one error shape (``portal.api.exceptions.error_body``); the procedures' door
    also those of the engine's procedures."""
    result.setdefault("components", {}).setdefault("schemas", {})["Error"] = ERROR_SCHEMA
    reference = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
    for path, operations in result.get("paths", {}).items():
        for operation in operations.values():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            errors = dict(ERRORS)
            if path.endswith("/procedures/"):
                errors.update(PROCEDURE_ERRORS)
            for status, text in errors.items():
                operation["responses"].setdefault(status, {"description": text, "content": reference})
    return result
