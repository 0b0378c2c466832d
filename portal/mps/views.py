"""``POST /mps/``: MPS XML requests, turned into engine calls and back into XML.

The door holds no business rule: it authenticates (HTTP Basic, directory credentials), parses
the request with the hardened parser, applies each ``<execute>``'s ``<before>`` transforms, runs
the procedure through the engine, applies the ``<after>`` transforms and answers ``<response>``.
All ``<execute>`` steps of a request run in one engine batch, so one transaction. Every error
answers the MPS ``<errorContext>`` shape with the status of the error.

A value marked ``do-not-log="1"`` (``<newPassword do-not-log="1">``) reaches the procedure and
nothing else: the engine masks it in the audit record and blots it out of error texts, and the
answer leaves it out.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST
from lxml import etree

from portal.auth import basic_credentials, caller_for_credentials
from portal.engine import Batch, Caller
from portal.engine.registry import secret_names
from portal.errors import InvalidRequest, NotAuthenticated, PortalError
from portal.failures import portal_error
from portal.mps.xmlio import (
    _NOT_XML_CHAR,
    SkipStep,
    apply_transform,
    do_not_log_remove,
    do_not_log_values,
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
    detail: dict[str, str] = {"error": err.name}
    if err.field:
        detail["argument"] = err.field
    response = HttpResponse(
        render_error(
            err.code,
            err.text,
            err.sources,
            execute_seq_no=err.execute_seq_no,
            error_description=detail,
        ),
        status=err.status,
        content_type=CONTENT_TYPE,
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


def _secret_names() -> frozenset[str]:
    """Names of the arguments some procedure declares secret: never echoed in an answer."""
    return secret_names()


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
    """Run an MPS request for ``caller`` and return the ``<response>`` document.

    The answer is the request's ``<data>`` when it had one or when an ``<after>`` wrote into it,
    else the last ``<executeData>``. An error inside an ``<execute>`` carries its number
    (``executeSeqNo``, from 1) and names its procedure as the error source.
    """
    request = parse_request(body)
    elements = sum(
        1
        for node in (request.data, *(step.execute_data for step in request.executes))
        if node is not None
        for _ in node.iter()
    )
    if elements > MAX_ELEMENTS:
        raise InvalidRequest(f"The request holds more than {MAX_ELEMENTS} elements in data and executeData.")
    into_data = request.data is not None or any(
        transform.destination == "data" for step in request.executes for transform in step.after
    )
    nodes = {"data": request.data if request.data is not None else etree.Element("data")}
    secrets = do_not_log_values(nodes["data"])
    with Batch(caller, door) as batch:
        for number, step in enumerate(request.executes, start=1):
            try:
                _run_step(batch, step, nodes, secrets)
            except PortalError as err:
                if err.execute_seq_no is None:
                    err.execute_seq_no = number
                if not err.sources:
                    err.sources.append((step.namespace, step.procedure))
                batch.scrub(err)
                raise
    answer = nodes["data"] if into_data else nodes["executeData"]
    do_not_log_remove(answer, set(secrets) | _secret_names())
    return render_response(answer, taken=True)  # the request's own tree, not used after


def _run_step(batch: Batch, step, nodes: dict, secrets: dict[str, str]) -> None:
    nodes["executeData"] = step.execute_data
    try:
        for transform in step.before:
            apply_transform(transform, nodes)
    except SkipStep:
        nodes["executeData"] = etree.Element("executeData")
        return
    secrets.update(do_not_log_values(nodes["executeData"]))
    value = element_to_value(nodes["executeData"])
    result = batch.call(
        f"{step.namespace}::{step.procedure}",
        value if isinstance(value, dict) else {},
        impersonate=step.impersonate,
        do_not_log=secrets,
    )
    out = etree.Element("executeData")
    value_to_elements(out, _xml_safe(result))
    nodes["executeData"] = out
    try:
        for transform in step.after:
            apply_transform(transform, nodes)
    except SkipStep:
        return


def _declared_length(request: HttpRequest) -> int:
    """The body's length as the request declares it (0 when it declares none), read before the
    body itself so that a body too large is refused unread."""
    try:
        return int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return 0


@csrf_exempt
@require_POST
def mps_endpoint(request: HttpRequest) -> HttpResponse:
    """The MPS XML door."""
    try:
        caller = _caller(request)
        if _declared_length(request) > MAX_REQUEST_BYTES or len(request.body) > MAX_REQUEST_BYTES:
            raise InvalidRequest("The request is larger than 5 MB.")
        return HttpResponse(execute_request(caller, request.body), content_type=CONTENT_TYPE)
    except Exception as exc:  # every failure answers an errorContext (portal.failures)
        return error_response(portal_error(exc, where="an MPS request"))
