"""Every door answers every failure in its own shape, never with a bare framework page: the MPS
``errorContext``, the SOAP fault, the REST JSON error, the pages' error page. A database that is
lost or refuses (``OperationalError``) is 503 ``DatabaseUnavailable``; anything unexpected is 500
``InternalError``, its text hidden. Faults are injected (the only mocking allowed) into a step of a
real call; the directory and the database are as before.
"""

from __future__ import annotations

import contextlib
import dataclasses
from unittest import mock
from xml.sax.saxutils import escape

import pytest
from django.db import OperationalError
from django.test import Client
from lxml import etree

from hosting.models import CustomerRecord
from portal.directory import dn_to_path
from portal.models import AuditRecord
from tests.conftest import CM, DC, PASSWORD, basic

pytestmark = pytest.mark.django_db

LAST_STEP = "Managed Helpers::CreateCustomerRecord_"
DATABASE_LOST = OperationalError("server closed the connection unexpectedly")
UNAVAILABLE = ("0x80070426", "DatabaseUnavailable", 503)
INTERNAL = ("0x80004005", "InternalError", 500)


@contextlib.contextmanager
def fault(full_name: str, exc: BaseException):
    """The registered procedure ``full_name`` raises ``exc`` for the ``with`` block."""
    from portal.engine import registry

    proc = registry.lookup(*registry.split_name(full_name))

    def broken(ctx, **kwargs):
        raise exc

    registry.replace(dataclasses.replace(proc, fn=broken))
    try:
        yield
    finally:
        registry.replace(proc)


def org_data(name: str = "Faulty Towers") -> dict:
    return {
        "container": dn_to_path(CM),
        "name": name,
        "SMTPDomain": "faulty.example.com",
        "preferredDomainController": DC,
    }


def mps_body(data: dict) -> str:
    fields = "".join(f"<{key}>{escape(value)}</{key}>" for key, value in data.items())
    return (
        '<request><procedure><execute namespace="Hosted Exchange" procedure="CreateBusinessOrganization" '
        f'impersonate="1"><executeData>{fields}</executeData></execute></procedure></request>'
    )


def nothing_created(gateway) -> None:
    assert gateway.search(CM, "(ou=Faulty Towers)", scope="onelevel") == []
    assert not CustomerRecord.objects.exists()


def error_context(response) -> tuple[str, int]:
    """The MPS ``errorContext``'s code and the HTTP status."""
    assert response["Content-Type"].startswith("text/xml")
    root = etree.fromstring(response.content)
    assert root.tag == "response"
    (context,) = root.findall("errorContext")
    return context.get("code"), response.status_code


# --- MPS ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("exc", "expected"), [(DATABASE_LOST, UNAVAILABLE), (RuntimeError("bug"), INTERNAL)], ids=["db", "bug"]
)
def test_mps_answers_a_failing_step_with_an_error_context_and_undoes_it(mps, gateway, exc, expected):
    with fault(LAST_STEP, exc):
        response = mps(mps_body(org_data()), "cm-admin")

    assert error_context(response) == (expected[0], expected[2])
    assert b"bug" not in response.content  # the cause is logged, not shown
    nothing_created(gateway)
    record = AuditRecord.objects.get(procedure="CreateBusinessOrganization")
    assert (record.status, record.error_code) == (AuditRecord.Status.FAILED, expected[0])


def test_mps_answers_a_database_lost_outside_the_engine_with_an_error_context(mps, gateway):
    with mock.patch("portal.mps.views.execute_request", side_effect=DATABASE_LOST):
        response = mps(mps_body(org_data()), "cm-admin")

    assert error_context(response) == (UNAVAILABLE[0], 503)
    assert b"The database could not be reached" in response.content
    nothing_created(gateway)


def test_mps_answers_a_failing_middleware_with_an_error_context(slapd, db):
    client = Client(raise_request_exception=False)
    with mock.patch("portal.middleware.CurrentAccountMiddleware.__call__", side_effect=DATABASE_LOST):
        response = client.post(
            "/mps/", data=mps_body(org_data()), content_type="text/xml", HTTP_AUTHORIZATION=basic("cm-admin")
        )

    assert error_context(response) == (UNAVAILABLE[0], 503)


# --- REST ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("exc", "expected"), [(DATABASE_LOST, UNAVAILABLE), (RuntimeError("bug"), INTERNAL)], ids=["db", "bug"]
)
def test_rest_answers_a_failing_step_with_its_json_error_and_undoes_it(api, gateway, exc, expected):
    body = {
        "namespace": "Hosted Exchange",
        "procedure": "CreateBusinessOrganization",
        "executeData": org_data(),
    }
    with fault(LAST_STEP, exc):
        response = api("post", "/api/procedures/", json=body, user="cm-admin")

    assert response.status_code == expected[2]
    assert response["Content-Type"] == "application/json"
    error = response.json()["error"]
    assert (error["code"], error["name"]) == expected[:2]
    assert "bug" not in error["description"]
    nothing_created(gateway)


@pytest.mark.parametrize(
    ("exc", "expected"), [(DATABASE_LOST, UNAVAILABLE), (RuntimeError("bug"), INTERNAL)], ids=["db", "bug"]
)
def test_rest_answers_a_failing_read_outside_the_engine_with_its_json_error(api, exc, expected):
    with mock.patch("customers.api.views.CustomerRecordViewSet.get_queryset", side_effect=exc):
        response = api("get", "/api/customer-records/", user="cm-admin")

    assert response.status_code == expected[2]
    assert response["Content-Type"] == "application/json"
    assert (response.json()["error"]["code"], response.json()["error"]["name"]) == expected[:2]


# --- SOAP ---------------------------------------------------------------------------------------

SOAP12 = """<?xml version="1.0" encoding="utf-8"?>
<soap12:Envelope xmlns:soap12="http://www.w3.org/2003/05/soap-envelope">
  <soap12:Header>
    <AuthHeader xmlns="Logisense_EngageIP"><Username>administrator</Username><Password>{password}</Password></AuthHeader>
  </soap12:Header>
  <soap12:Body>
    <GetUserBalanceDue xmlns="Logisense_EngageIP"><username>northwind</username><dueDate>2026-02-01T00:00:00</dueDate></GetUserBalanceDue>
  </soap12:Body>
</soap12:Envelope>"""


@pytest.mark.parametrize(
    ("exc", "expected"), [(DATABASE_LOST, UNAVAILABLE), (RuntimeError("bug"), INTERNAL)], ids=["db", "bug"]
)
def test_soap_answers_a_failing_operation_with_a_fault(client, slapd, exc, expected):
    with fault("Billing::GetUserBalanceDue", exc):
        response = client.post(
            "/adminportal/webservice.asmx",
            data=SOAP12.format(password=PASSWORD).encode(),
            content_type="application/soap+xml; charset=utf-8",
        )

    assert response.status_code == expected[2]
    assert response["Content-Type"].startswith("application/soap+xml")
    root = etree.fromstring(response.content)
    ns = {"s": "http://www.w3.org/2003/05/soap-envelope", "e": "Logisense_EngageIP"}
    assert root.find("s:Body/s:Fault/s:Code/s:Value", ns).text == "soap:Receiver"
    detail = root.find("s:Body/s:Fault/s:Detail/e:error", ns)
    assert (detail.get("code"), detail.get("name")) == expected[:2]
    assert b"bug" not in response.content


def test_soap_http_post_form_answers_a_lost_database_with_its_text_and_503(client, slapd):
    with fault("Billing::GetUserBalanceDue", DATABASE_LOST):
        response = client.post(
            "/adminportal/webservice.asmx/GetUserBalanceDue",
            data={"username": "northwind", "dueDate": "2026-02-01T00:00:00"},
            HTTP_AUTHORIZATION=basic("administrator"),
        )

    assert response.status_code == 503
    assert response.content.decode().startswith("System.Exception: The database could not be reached")


# --- pages --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("exc", "status", "title"),
    [(DATABASE_LOST, 503, "Temporarily unavailable"), (RuntimeError("bug"), 500, "Something went wrong")],
    ids=["db", "bug"],
)
def test_a_page_answers_a_failure_with_the_portals_error_page(browser, exc, status, title):
    client = browser("cm-admin")
    client.raise_request_exception = False
    with mock.patch("portal.views.dashboard", side_effect=exc):
        response = client.get("/")

    assert response.status_code == status
    html = response.content.decode()
    assert f"<h1>{title}</h1>" in html
    assert 'class="brand"' in html  # the portal's own frame, not a bare framework page
    assert "bug" not in html


def test_a_page_answers_a_failing_middleware_with_the_error_page_without_the_frames_reads(browser):
    client = browser("cm-admin")
    client.raise_request_exception = False
    with mock.patch("portal.middleware.CurrentAccountMiddleware.__call__", side_effect=DATABASE_LOST):
        response = client.get("/")

    assert response.status_code == 503
    assert "<h1>Temporarily unavailable</h1>" in response.content.decode()


# --- bodies too large, forms without their token ---------------------------------------------

BIG = 6 * 1024 * 1024  # over every door's limit and over DATA_UPLOAD_MAX_MEMORY_SIZE


def test_mps_refuses_a_body_too_large_with_an_error_context(mps, gateway):
    body = mps_body({**org_data(), "name": "Faulty Towers" + "A" * BIG})
    response = mps(body, "cm-admin")

    assert error_context(response) == ("0x8004100E", 400)
    assert b"larger than 5 MB" in response.content
    nothing_created(gateway)


def test_rest_refuses_a_body_too_large_with_its_json_error(api, gateway):
    body = {
        "namespace": "Hosted Exchange",
        "procedure": "CreateBusinessOrganization",
        "executeData": {**org_data(), "description": "A" * BIG},
    }
    response = api("post", "/api/v1/portal/procedures/", json=body, user="cm-admin")

    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    error = response.json()["error"]
    assert error["name"] == "InvalidRequest"
    assert "larger than the portal accepts" in error["description"]
    nothing_created(gateway)


@pytest.mark.parametrize("size", [2 * 1024 * 1024, BIG], ids=["over-soap-limit", "over-every-limit"])
def test_soap_refuses_a_body_too_large_with_a_client_fault(client, slapd, size):
    envelope = SOAP12.format(password=PASSWORD).replace("<username>", "<!--" + "A" * size + "--><username>")
    response = client.post(
        "/adminportal/webservice.asmx",
        data=envelope.encode(),
        content_type="application/soap+xml; charset=utf-8",
    )

    assert response.status_code in (400, 500)  # the ASMX fault's status for a request's own fault
    root = etree.fromstring(response.content)
    ns = {"s": "http://www.w3.org/2003/05/soap-envelope", "e": "Logisense_EngageIP"}
    assert root.find("s:Body/s:Fault/s:Code/s:Value", ns).text == "soap:Sender"
    assert b"larger than" in response.content


def test_soap_http_post_form_refuses_a_body_too_large_with_its_text(client, slapd):
    response = client.post(
        "/adminportal/webservice.asmx/GetUserBalanceDue",
        data={"username": "northwind", "dueDate": "2026-02-01T00:00:00", "padding": "A" * BIG},
        HTTP_AUTHORIZATION=basic("administrator"),
    )

    # the ASMX form answers every refusal as .NET does: 500 with the exception's text
    assert response.content.decode().startswith("System.Exception: The request is larger than")


def test_a_form_without_its_token_gets_the_portals_error_page(db):
    client = Client(enforce_csrf_checks=True)
    response = client.post("/login/", data={"username": "cm-admin", "password": "x"})

    assert response.status_code == 403
    html = response.content.decode()
    assert "<h1>Not allowed</h1>" in html
    assert 'class="brand"' in html
    assert "security token" in html
