"""The Django admin for staff: every model of the portal listed, searchable, read-only."""

from __future__ import annotations

import io

import pytest
from django.contrib import admin
from django.core.management import call_command
from django.urls import reverse

pytestmark = pytest.mark.django_db
PORTAL_APPS = {"portal", "customers", "email_service", "billing"}


def portal_models():
    return [
        model
        for model in admin.site._registry
        if model._meta.app_label in PORTAL_APPS and model._meta.model_name != "user"
    ]


def test_staff_open_every_list_with_its_filters_and_search(client, login, slapd):
    call_command("load_demo", stdout=io.StringIO())
    client.force_login(login("administrator"))
    for model in portal_models():
        meta = model._meta
        url = reverse(f"admin:{meta.app_label}_{meta.model_name}_changelist")
        response = client.get(url, {"q": "a"} if admin.site._registry[model].search_fields else {})
        assert response.status_code == 200, url


def test_nothing_is_added_changed_or_deleted_in_the_admin(client, login, slapd):
    client.force_login(login("administrator"))
    for model in portal_models():
        meta = model._meta
        assert client.get(reverse(f"admin:{meta.app_label}_{meta.model_name}_add")).status_code == 403


def test_resellers_do_not_reach_the_admin(client, login, slapd):
    client.force_login(login("cm-admin"))
    response = client.get("/admin/")
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]
