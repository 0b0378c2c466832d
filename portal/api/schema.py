"""How the OpenAPI schema describes the portal's own authentication classes and its errors."""

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
}
PROCEDURE_ERRORS = {
    "409": "The call collides with what exists.",
    "422": "An object is not in the state the procedure requires.",
    "503": "The directory could not be reached.",
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
            if path.startswith("/api/procedures/"):
                errors.update(PROCEDURE_ERRORS)
            for status, text in errors.items():
                operation["responses"].setdefault(status, {"description": text, "content": reference})
    return result
