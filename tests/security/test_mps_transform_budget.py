"""Finding 4: an MPS transform path is held to a cost bound before the batch takes any lock.

The request that held SQLite's write lock for 52 s (nested ``count()`` over 1,500 nodes, sent by a
user with no role) now gets a 400 naming the path at once, and writes nothing, not even an audit
record; paths whose cost grows with the request's size and no faster still work.
"""

from __future__ import annotations

import time

import pytest

from portal.models import AuditRecord
from portal.mps.xpath_budget import MAX_ELEMENTS, xpath_cost_refusal
from tests.conftest import ALPINE, DC

pytestmark = pytest.mark.django_db

NESTED_COUNT = "//*[count(//*[count(//*) > 0]) > 0]"


def _request(source_path: str, items: int, *, when: str = "before", mode: str = "insert") -> str:
    filler = "".join(f"<item><n>{number}</n></item>" for number in range(items))
    return (
        f"<request><data>{filler}<path>LDAP://{ALPINE}</path><preferredDomainController>{DC}"
        "</preferredDomainController></data><procedure>"
        '<execute namespace="Managed Hosting" procedure="GetOrgType" impersonate="1">'
        f'<{when} source="data" sourcePath="{source_path}" destination="executeData" mode="{mode}"/>'
        '<before source="data" sourcePath="path" destination="executeData"/>'
        '<before source="data" sourcePath="preferredDomainController" destination="executeData"/>'
        "<executeData/></execute></procedure></request>"
    )


def test_the_nested_count_request_is_refused_at_once_by_a_user_with_no_role(mps):
    started = time.perf_counter()
    response = mps(_request(NESTED_COUNT, 750), "jane.smith")
    elapsed = time.perf_counter() - started

    assert response.status_code == 400
    assert b"sourcePath" in response.content and b"over the cost allowed" in response.content
    assert elapsed < 2, elapsed
    assert not AuditRecord.objects.exists()


@pytest.mark.parametrize(
    "path",
    [
        NESTED_COUNT,
        "//a//b",
        "x[//y]",
        "x[/request]",
        "count(//*)",
        "descendant::a[descendant::b]",
        "a/following::b",
        "a/preceding-sibling::b",
        "a[b[c[d[e[f]]]]]",
        "a" + "/b" * 300,
    ],
)
def test_paths_over_the_budget_are_refused(path):
    assert xpath_cost_refusal(path) is not None


@pytest.mark.parametrize(
    "path",
    [
        "GUID",
        "preferredDomainController",
        "//item[n='3']",
        "item[n = '2']/n",
        "//n | //path",
        "a[1]",
        ".",
        "..",
        "item[last()]",
        "*[local-name()='n']",
        "descendant::n[. = '5']",
    ],
)
def test_paths_within_the_budget_are_accepted(path):
    assert xpath_cost_refusal(path) is None


def test_a_descendant_search_over_a_large_request_stays_fast(mps):
    started = time.perf_counter()
    response = mps(_request("//item[n='4999']", 5000, when="after", mode="move"), "cm-admin")
    elapsed = time.perf_counter() - started
    assert response.status_code == 200, response.content
    assert b"<n>4999</n>" not in response.content  # moved out of data by the after-transform
    assert elapsed < 5, elapsed


def test_a_request_with_too_many_elements_is_refused(mps):
    response = mps(_request("GUID", MAX_ELEMENTS // 2 + 1), "cm-admin")
    assert response.status_code == 400
    assert b"elements" in response.content
