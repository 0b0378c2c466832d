"""The e-mail service page of an organization sits under the organization in the breadcrumbs."""

from __future__ import annotations

import re

import pytest

from portal.directory import dn_to_path
from tests.conftest import ALPINE
from tests.pages import crumbs

pytestmark = pytest.mark.django_db


def test_email_page_trail_follows_the_tree_and_links_users_to_their_pages(alpine_subscribed, browser):
    response = browser("cm-admin").get("/email/organization/", {"organization": dn_to_path(ALPINE)})
    assert response.status_code == 200
    page = response.content.decode()
    assert crumbs(page) == ["Home", "ConsolidatedMessenger", "AlpineSkiHouse", "E-mail service"]
    assert re.search(r'<a href="/organizations/users/[0-9a-f-]+/">Jane Smith</a>', page)


def test_customer_administrators_trail_starts_at_its_organization(alpine_subscribed, browser):
    page = browser("alpine-admin").get("/email/organization/").content.decode()
    assert crumbs(page) == ["Home", "AlpineSkiHouse", "E-mail service"]
