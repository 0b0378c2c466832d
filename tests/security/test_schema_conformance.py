"""Finding 12: the REST door answers what its OpenAPI schema says, checked by schemathesis against
the live schema as the provider's administrator and as a reseller (bounded examples)."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.specs.openapi import checks as openapi_checks

from tests.conftest import basic

pytestmark = pytest.mark.django_db(transaction=False)

CHECKS = [
    schemathesis.checks.not_a_server_error,
    openapi_checks.status_code_conformance,
    openapi_checks.content_type_conformance,
    openapi_checks.response_schema_conformance,
]


@pytest.fixture
def live_schema(db, slapd, billing_demo, client):
    """The schema the portal serves at ``/api/schema/``, and a session that reaches the portal
    through Django's test client (the test's database transaction, no network)."""
    import datetime as dt
    import io

    import requests
    import urllib3

    from tests.billing.soap_client import BASE, DjangoClientAdapter

    class Adapter(DjangoClientAdapter):
        def send(self, request, **kwargs):
            response = super().send(request, **kwargs)
            response.elapsed = dt.timedelta(0)
            content = response.content  # read (and kept) before the raw stream is replaced
            response.raw = urllib3.HTTPResponse(
                body=io.BytesIO(content),
                headers=dict(response.headers),
                status=response.status_code,
                version=11,
                preload_content=False,
            )
            return response

    answer = client.get("/api/schema/?format=json", HTTP_AUTHORIZATION=basic("administrator"))
    assert answer.status_code == 200
    session = requests.Session()
    session.mount(BASE, Adapter(client))
    return schemathesis.openapi.from_dict(answer.json()), session


BASE_URL = "http://testserver"
BOUNDED = settings(max_examples=8, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)


def _every_operation_conforms(live_schema, user: str) -> None:
    """Run bounded generated calls of every operation as ``user``; collect what does not conform."""
    schema, session = live_schema
    failures = []
    for result in schema.get_all_operations():
        operation = result.ok()

        @given(case=operation.as_strategy())
        @BOUNDED
        def call(case):
            case.call_and_validate(
                base_url=BASE_URL, session=session, headers={"Authorization": basic(user)}, checks=CHECKS
            )

        try:
            call()
        except BaseException as exc:
            if isinstance(exc, KeyboardInterrupt):
                raise
            failures.append(f"{operation.label}: {exc}")
    assert not failures, "\n\n".join(failures)


def test_the_api_answers_the_administrator_as_its_schema_says(live_schema):
    _every_operation_conforms(live_schema, "administrator")


def test_the_api_answers_a_reseller_as_its_schema_says(live_schema):
    _every_operation_conforms(live_schema, "cm-admin")
