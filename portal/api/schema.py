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
