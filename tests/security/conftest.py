"""Helpers of the security tests: the five doors, called the way an outsider would."""

from __future__ import annotations

import pytest

from tests.billing.conftest import billing_demo  # noqa: F401 - fixtures shared with these tests
from tests.conftest import DC, PASSWORD, basic
from tests.customers.conftest import call, read  # noqa: F401
from tests.email_service.conftest import alpine_subscribed, email_plans  # noqa: F401

SOAP_CALL = """<?xml version="1.0" encoding="utf-8"?>
<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/">
  <soap:Header><AuthHeader xmlns="Logisense_EngageIP"><Username>{user}</Username><Password>{password}</Password></AuthHeader></soap:Header>
  <soap:Body>
    <AddPackageToUserWithOptionalServices xmlns="Logisense_EngageIP">
      <username>{username}</username><packageID>{package}</packageID><chargeCreditCard>false</chargeCreditCard>
      <IsChildUser>false</IsChildUser><NextBillDate>{date}</NextBillDate><billNow>false</billNow>
    </AddPackageToUserWithOptionalServices>
  </soap:Body>
</soap:Envelope>"""


def mps_body(namespace: str, procedure: str, data: dict) -> str:
    """An MPS request of one ``<execute>`` with ``data`` as its ``executeData``."""
    fields = "".join(f"<{key}>{value}</{key}>" for key, value in data.items())
    return (
        f'<request><procedure><execute namespace="{namespace}" procedure="{procedure}" impersonate="1">'
        f"<executeData>{fields}<preferredDomainController>{DC}</preferredDomainController>"
        "</executeData></execute></procedure></request>"
    )


@pytest.fixture
def soap(client, db, slapd):
    """POST the EngageIP SOAP call with the AuthHeader of ``user``; returns the response."""

    def _post(
        user: str, password: str = PASSWORD, *, username="northwind", package="1", date="2026-02-01T00:00:00"
    ):
        from xml.sax.saxutils import escape

        body = SOAP_CALL.format(
            user=escape(user),
            password=escape(password),
            username=escape(username),
            package=package,
            date=date,
        )
        return client.post(
            "/adminportal/webservice.asmx",
            data=body.encode(),
            content_type="text/xml; charset=utf-8",
            HTTP_SOAPACTION='"Logisense_EngageIP/AddPackageToUserWithOptionalServices"',
        )

    return _post


__all__ = ["basic", "mps_body"]
