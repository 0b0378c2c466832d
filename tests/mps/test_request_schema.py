"""POST /mps/: the parts of the MPS request schema beyond moving nodes (``Provisioning
Schema::before`` / ``::after`` ``ifNull`` and ``allowNullTransform``, ``::errorContext``, the
``do-not-log`` marker) and the parts the portal refuses, end to end through the real slapd."""

from __future__ import annotations

import json

import pytest
from lxml import etree

from portal.models import AuditRecord
from tests.conftest import ALPINE

pytestmark = pytest.mark.django_db

ALPINE_PATH = "LDAP://" + ALPINE


def request(*executes: str, data: str = "") -> str:
    data_node = f"<data>{data}</data>" if data else ""
    return f"<request>{data_node}<procedure>{''.join(executes)}</procedure></request>"


def org_type(before: str = "", after: str = "", execute_data: str = "") -> str:
    return (
        '<execute namespace="Managed Hosting" procedure="GetOrgType" impersonate="1">'
        f"{execute_data}{before}{after}</execute>"
    )


ORG_DATA = (
    f"<path>{ALPINE_PATH}</path><preferredDomainController>AD01.fabrikam.com</preferredDomainController>"
)
MOVE_BOTH = (
    '<before source="data" sourcePath="path" destination="executeData" mode="move"/>'
    '<before source="data" sourcePath="preferredDomainController" destination="executeData" mode="move"/>'
)


def error_context(response) -> etree._Element:
    root = etree.fromstring(response.content)
    assert root.tag == "response", response.content
    (context,) = root.findall("errorContext")
    assert context.get("code") and context.get("description")
    assert len(context.findall("errorDescription")) <= 1
    assert context.findall("errorSource")
    return context


def sources(context) -> list[tuple[str, str]]:
    return [(s.get("namespace"), s.get("procedure")) for s in context.findall("errorSource")]


def test_if_null_fail_on_a_missing_source_names_the_path_and_the_execute(mps):
    body = request(
        org_type(
            MOVE_BOTH
            + '<before source="data" sourcePath="planName" destination="executeData" ifNull="fail"/>'
        ),
        data=ORG_DATA,
    )

    response = mps(body)

    assert response.status_code == 400
    context = error_context(response)
    assert context.get("description") == (
        'The source node sourcePath="planName" is missing from <data> (ifNull="fail").'
    )
    assert context.get("executeSeqNo") == "1"
    assert sources(context) == [("Managed Hosting", "GetOrgType")]
    assert not AuditRecord.objects.exists()


def test_if_null_ignore_and_an_absent_if_null_move_nothing_and_run_the_step(mps):
    for if_null in (' ifNull="ignore"', ""):
        body = request(
            org_type(
                '<before source="data" sourcePath="GUID" destination="executeData" mode="move"'
                f"{if_null}/>" + MOVE_BOTH,
                '<after source="executeData" destination="data" mode="merge"/>',
            ),
            data=ORG_DATA,
        )

        response = mps(body)

        assert response.status_code == 200, response.content
        data = etree.fromstring(response.content).find("data")
        assert data.findtext("organizationType") == "Customer"


def test_if_null_skip_skips_only_its_own_execute(mps):
    skipped = org_type('<before source="data" sourcePath="nothing" destination="executeData" ifNull="skip"/>')
    runs = org_type(MOVE_BOTH, '<after source="executeData" destination="data" mode="merge"/>')

    response = mps(request(skipped, runs, data=ORG_DATA))

    assert response.status_code == 200, response.content
    assert etree.fromstring(response.content).find("data").findtext("organizationType") == "Customer"
    assert AuditRecord.objects.filter(procedure="GetOrgType").count() == 1


@pytest.mark.parametrize("path", ["empty/text()", "empty/@kind"])
def test_allow_null_transform_0_refuses_a_transform_that_yields_no_element(mps, path):
    body = request(
        org_type(
            MOVE_BOTH + f'<before source="data" sourcePath="{path}" destination="executeData" '
            'mode="replace" allowNullTransform="0"/>'
        ),
        data=ORG_DATA + '<empty kind="x">text only</empty>',
    )

    response = mps(body)

    assert response.status_code == 400, response.content
    context = error_context(response)
    assert context.get("description") == (
        f'The source <data> sourcePath="{path}" holds no element to transform (allowNullTransform="0").'
    )
    assert context.get("executeSeqNo") == "1"


def test_allow_null_transform_1_leaves_the_destination_as_it_is(mps):
    body = request(
        org_type(
            MOVE_BOTH + '<before source="data" sourcePath="empty/text()" destination="executeData" '
            'mode="replace" allowNullTransform="1"/>',
            '<after source="executeData" destination="data" mode="merge"/>',
        ),
        data=ORG_DATA + "<empty>text only</empty>",
    )

    response = mps(body)

    assert response.status_code == 200, response.content
    assert etree.fromstring(response.content).find("data").findtext("organizationType") == "Customer"


def test_the_failing_execute_is_numbered_from_1(mps):
    good = org_type(execute_data=f"<executeData>{ORG_DATA}</executeData>")
    bad = org_type(
        execute_data="<executeData><path>LDAP://OU=Nowhere,OU=Hosting,DC=fabrikam,DC=com</path></executeData>"
    )

    context = error_context(mps(request(good, bad)))

    assert context.get("executeSeqNo") == "2"
    assert sources(context) == [("Managed Hosting", "GetOrgType")]
    assert context.find("errorDescription").findtext("error") == "InvalidArgument"
    assert context.find("errorDescription").findtext("argument") == "preferredDomainController"


@pytest.mark.parametrize(
    ("attribute", "text"),
    [
        ('ifNull="never"', 'ifNull="never" is not one of "fail", "ignore", "skip".'),
        ('allowNullTransform="yes"', 'allowNullTransform="yes" is not one of "0", "1".'),
    ],
)
def test_bad_if_null_or_allow_null_transform_is_a_clear_400(mps, attribute, text):
    body = request(org_type(f'<before source="data" destination="executeData" {attribute}/>'), data=ORG_DATA)

    response = mps(body)

    assert response.status_code == 400
    context = error_context(response)
    assert context.get("description").endswith(text)
    assert sources(context) == [("Provisioning Schema", "request")]
    assert context.get("executeSeqNo") is None


@pytest.mark.parametrize(
    ("body", "named"),
    [
        (request(org_type("<forEach/>")), "<forEach> is not supported"),
        (request(org_type("<when/>")), "<when> is not supported"),
        (request(org_type("<repeat/>")), "<repeat> is not supported"),
        ("<request><procedure><try><execute/></try><catch/></procedure></request>", "<try> is not supported"),
        ("<request><procedure><queue/></procedure></request>", "<queue> is not supported"),
        (
            request(
                org_type(
                    '<before source="data" destination="executeData"><xsl:stylesheet '
                    'xmlns:xsl="http://www.w3.org/1999/XSL/Transform"/></before>'
                )
            ),
            "XSL templates inside <before> are not supported",
        ),
    ],
)
def test_unsupported_parts_of_the_schema_are_a_clear_400_naming_the_element(mps, body, named):
    response = mps(body)

    assert response.status_code == 400
    assert named in error_context(response).get("description")


def test_a_request_level_error_names_the_request(mps):
    context = error_context(mps(b"<request><procedure>"))

    assert context.get("code") == "0x8004100E"
    assert sources(context) == [("Provisioning Schema", "request")]


def test_a_do_not_log_value_reaches_no_audit_record_no_error_text_and_no_answer(mps):
    secret = "Sup3r-Secret-Type"
    body = (
        "<request><procedure>"
        '<execute namespace="MPS Import" procedure="EnableCustomerForPlans" impersonate="1">'
        f"<executeData><path>{ALPINE_PATH}</path>"
        "<preferredDomainController>AD01.fabrikam.com</preferredDomainController>"
        f'<customerTypeName do-not-log="1">{secret}</customerTypeName></executeData>'
        "</execute></procedure></request>"
    )

    response = mps(body)

    assert response.status_code == 400
    assert secret not in response.content.decode()
    assert "***" in error_context(response).get("description")
    audit = AuditRecord.objects.get(procedure="EnableCustomerForPlans")
    assert secret not in json.dumps([audit.input, audit.output, audit.error_text])
    assert audit.input["customerTypeName"] == "***"


def test_a_do_not_log_value_is_left_out_of_the_answer(mps):
    body = request(
        org_type(MOVE_BOTH, '<after source="executeData" destination="data" mode="merge"/>'),
        data=ORG_DATA + '<note do-not-log="1">keep-me-quiet</note>',
    )

    response = mps(body)

    assert response.status_code == 200, response.content
    assert b"keep-me-quiet" not in response.content
