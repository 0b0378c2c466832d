"""The Django admin for staff: every model of the portal listed, searchable, read-only."""

from __future__ import annotations

import io

import pytest
from django.apps import apps
from django.contrib import admin
from django.core.management import call_command
from django.urls import reverse

from portal.models import AuditRecord

pytestmark = pytest.mark.django_db
PORTAL_APPS = {"portal", "hosting", "customers", "email_service", "billing"}


def registered_models():
    """Every model the admin site shows a list of."""
    return [model for model in apps.get_models() if admin.site.is_registered(model)]


def portal_models():
    return [
        model
        for model in registered_models()
        if model._meta.app_label in PORTAL_APPS and model._meta.model_name != "user"
    ]


def test_staff_open_every_list_with_its_filters_and_search(client, login, slapd):
    call_command("load_demo", stdout=io.StringIO())
    client.force_login(login("administrator"))
    for model in portal_models():
        meta = model._meta
        url = reverse(f"admin:{meta.app_label}_{meta.model_name}_changelist")
        response = client.get(url, {"q": "a"} if admin.site.get_model_admin(model).search_fields else {})
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


def test_every_model_of_the_portal_is_shown_with_filters_and_search():
    shown = set(registered_models())
    for model in registered_models():
        shown |= {inline.model for inline in admin.site.get_model_admin(model).inlines}
    for label in sorted(PORTAL_APPS):
        for model in apps.get_app_config(label).get_models():
            assert model in shown, f"{model.__name__} is not in the admin"
    for model in portal_models():
        model_admin = admin.site.get_model_admin(model)
        assert model_admin.search_fields, f"{model.__name__} has no search"
        assert model_admin.list_filter, f"{model.__name__} has no list filters"


def test_rows_are_shown_but_never_changed_or_deleted(client, login, slapd):
    call_command("load_demo", stdout=io.StringIO())
    client.force_login(login("administrator"))
    for model in portal_models():
        row = model.objects.first()
        if row is None:
            continue
        meta = model._meta
        change = reverse(f"admin:{meta.app_label}_{meta.model_name}_change", args=[row.pk])
        page = client.get(change)
        assert page.status_code == 200, change
        assert b'name="_save"' not in page.content, change
        assert client.post(change, {}).status_code == 403, change
        delete = reverse(f"admin:{meta.app_label}_{meta.model_name}_delete", args=[row.pk])
        assert client.get(delete).status_code == 403, delete
        assert client.post(delete, {"post": "yes"}).status_code == 403, delete
    assert AuditRecord.objects.count() > 0  # nothing went


def test_audit_records_list_filters_search_and_no_bulk_delete(client, login, slapd):
    call_command("load_demo", stdout=io.StringIO())
    client.force_login(login("administrator"))
    url = reverse("admin:portal_auditrecord_changelist")
    everything = client.get(url)
    page = everything.content.decode()
    assert 'id="changelist-filter"' in page
    assert 'id="searchbar"' in page
    assert "delete_selected" not in page
    assert reverse("admin:portal_auditrecord_add") not in page
    found = client.get(url, {"q": "SetPaymentCard"}).content.decode()
    rows = found.split('id="result_list"', 1)[1].split("</table>", 1)[0]
    assert rows.count("<tr") == 2  # the header and the one card set by the demo
    assert "SetPaymentCard" in rows
    assert "1 audit record" in found
    failed = client.get(url, {"status__exact": "failed"}).content.decode()
    assert "0 audit records" in failed
    record = AuditRecord.objects.filter(procedure="SetPaymentCard").get()
    view = client.get(reverse("admin:portal_auditrecord_change", args=[record.pk])).content.decode()
    assert "View audit record" in view
    assert "alpineskihouse" in view  # its input, masked where secret
    assert "4242424242424242" not in view
