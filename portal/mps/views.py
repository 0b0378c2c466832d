"""``POST /mps/``: MPS XML requests, turned into engine calls and back into XML.

The door holds no business rule: it authenticates (HTTP Basic, directory credentials), parses
the request with the hardened parser, applies each ``<execute>``'s ``<before>`` transforms, runs
the procedure through the engine, applies the ``<after>`` transforms and answers ``<response>``.
All ``<execute>`` steps of a request run in one engine batch, so one transaction. Every error
answers the MPS ``<errorContext>`` shape with the status of the error.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST
from lxml import etree

from portal.auth import basic_credentials, caller_for_credentials
from portal.engine import Batch, Caller
from portal.errors import InvalidRequest, NotAuthenticated, PortalError
from portal.mps.xmlio import (
    _NOT_XML_CHAR,
    apply_transform,
    element_to_value,
    parse_request,
    render_error,
    render_response,
    value_to_elements,
)
from portal.mps.xpath_budget import MAX_ELEMENTS

CONTENT_TYPE = "text/xml; charset=utf-8"
MAX_REQUEST_BYTES = 5 * 1024 * 1024


def error_response(err: PortalError) -> HttpResponse:
    """The MPS ``errorContext`` of an error, with the error's HTTP status."""
    response = HttpResponse(
        render_error(err.code, err.text, err.sources), status=err.status, content_type=CONTENT_TYPE
    )
    if err.status == 401:
        response["WWW-Authenticate"] = 'Basic realm="portal"'
    return response


def _caller(request: HttpRequest) -> Caller:
    credentials = basic_credentials(request.META.get("HTTP_AUTHORIZATION", ""))
    caller = caller_for_credentials(request, *credentials) if credentials else None
    if caller is None:
        raise NotAuthenticated("Valid directory credentials are required (HTTP Basic).")
    return caller


def _xml_safe(value: object) -> object:
    """A result with every character XML cannot carry replaced by U+FFFD: a value stored before
    the engine refused control characters (or written by another tool) must not break a read."""
    if isinstance(value, str):
        return _NOT_XML_CHAR.sub("\ufffd", value)
    if isinstance(value, dict):
        return {key: _xml_safe(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_xml_safe(item) for item in value]
    return value


def execute_request(caller: Caller, body: bytes, *, door: str = "mps") -> bytes:
    """Run an MPS request for ``caller`` and return the ``<response>`` document."""
    request = parse_request(body)
    elements = sum(
        1
        for node in (request.data, *(step.execute_data for step in request.executes))
        if node is not None
        for _ in node.iter()
    )
    if elements > MAX_ELEMENTS:
        raise InvalidRequest(f"The request holds more than {MAX_ELEMENTS} elements in data and executeData.")
    had_data = request.data is not None
    nodes = {"data": request.data if had_data else etree.Element("data")}
    with Batch(caller, door) as batch:
        for step in request.executes:
            nodes["executeData"] = step.execute_data
            for transform in step.before:
                apply_transform(transform, nodes)
            value = element_to_value(nodes["executeData"])
            result = batch.call(
                f"{step.namespace}::{step.procedure}",
                value if isinstance(value, dict) else {},
                impersonate=step.impersonate,
            )
            out = etree.Element("executeData")
            value_to_elements(out, _xml_safe(result))
            nodes["executeData"] = out
            for transform in step.after:
                apply_transform(transform, nodes)
    return render_response(nodes["data"] if had_data else nodes["executeData"])


@csrf_exempt
@require_POST
def mps_endpoint(request: HttpRequest) -> HttpResponse:
    """The MPS XML door."""
    try:
        caller = _caller(request)
        if len(request.body) > MAX_REQUEST_BYTES:
            raise InvalidRequest("The request is larger than 5 MB.")
        return HttpResponse(execute_request(caller, request.body), content_type=CONTENT_TYPE)
    except PortalError as err:
        return error_response(err)
