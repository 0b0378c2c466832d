"""Managed Active Directory::SetUserPassword (dd251767): the password policy, the directory's own
password attribute, and the value in no audit record, log line, job row, error text or answer."""

from __future__ import annotations

import logging

import pytest
from django.conf import settings
from django.contrib.auth import authenticate
from django.db import connection

from portal.errors import AccessDenied, InvalidArgument
from portal.models import AuditRecord
from tests.conftest import ALPINE, BOB, JANE, PASSWORD

pytestmark = pytest.mark.django_db

SET = "Managed Active Directory::SetUserPassword"
NEW = "N3w-Secret-Value"


def request(user: str, password: str) -> str:
    return f"""<request>
  <procedure>
    <execute namespace="Managed Active Directory" procedure="SetUserPassword" impersonate="1">
      <executeData>
        <user>LDAP://{user}</user>
        <newPassword do-not-log="1">{password}</newPassword>
        <preferredDomainController>AD01.fabrikam.com</preferredDomainController>
      </executeData>
    </execute>
  </procedure>
</request>"""


def nowhere_in_the_database(value: str) -> None:
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            cursor.execute(f'SELECT * FROM "{table}"')
            assert all(value not in str(row) for row in cursor.fetchall()), table


def test_set_user_password_lets_the_user_log_in_with_the_new_one(mps, read, caplog):
    caplog.set_level(logging.DEBUG)
    response = mps(request(JANE, NEW), "alpine-admin")

    assert response.status_code == 200, response.content
    assert NEW.encode() not in response.content
    if settings.DIRECTORY["FLAVOR"] == "openldap":  # AD never answers its password attribute
        assert read(JANE, ["userPassword"])["userpassword"][0].startswith("{SSHA}")
    assert authenticate(None, username="jane.smith", password=NEW) is not None
    assert authenticate(None, username="jane.smith", password=PASSWORD) is None
    audit = AuditRecord.objects.get(procedure="SetUserPassword")
    assert audit.input["newPassword"] == "***"
    nowhere_in_the_database(NEW)
    assert NEW not in caplog.text


@pytest.mark.parametrize(
    ("password", "message"),
    [("Sh0rt!", "too short"), ("alllowercase1", "too simple"), ("Jane.Smith-2024", "user's name")],
)
def test_weak_password_refused_without_quoting_it(mps, password, message):
    response = mps(request(JANE, password), "alpine-admin")

    assert response.status_code == 400
    assert password.encode() not in response.content
    assert message.encode() in response.content
    assert authenticate(None, username="jane.smith", password=PASSWORD) is not None
    nowhere_in_the_database(password)


def test_rest_door_masks_it_and_refuses_other_resellers(api, call):
    body = {
        "namespace": "Managed Active Directory",
        "procedure": "SetUserPassword",
        "executeData": {
            "user": f"LDAP://{BOB}",
            "newPassword": NEW,
            "preferredDomainController": "AD01.fabrikam.com",
        },
    }
    refused = api("post", "/api/procedures/", json=body, user="cm-admin")
    assert refused.status_code == 403
    assert NEW not in refused.content.decode()
    done = api("post", "/api/procedures/", json=body, user="contoso-admin")
    assert done.status_code == 200, done.content
    assert NEW not in done.content.decode()
    nowhere_in_the_database(NEW)
    with pytest.raises(AccessDenied):
        call("alpine-admin", SET, {"user": f"LDAP://{BOB}", "newPassword": NEW})


def test_only_users_take_a_password(call):
    with pytest.raises(InvalidArgument, match="is not a user"):
        call("cm-admin", SET, {"user": f"LDAP://{ALPINE}", "newPassword": NEW})


def test_the_openapi_schema_marks_it_write_only_and_do_not_log(api):
    schema = api("get", "/api/schema/?format=json").json()
    inputs = schema["components"]["schemas"]["ManagedActiveDirectorySetUserPasswordExecuteData"]
    assert inputs["required"] == ["user", "newPassword", "preferredDomainController"]
    assert inputs["properties"]["newPassword"]["writeOnly"] is True
    assert inputs["properties"]["newPassword"]["format"] == "password"
    assert inputs["properties"]["newPassword"]["x-do-not-log"] is True


def test_rest_do_not_log_keeps_a_named_value_out_of_the_audit_and_the_error(api):
    body = {
        "namespace": "MPS Import",
        "procedure": "EnableCustomerForPlans",
        "executeData": {
            "path": f"LDAP://{ALPINE}",
            "preferredDomainController": "AD01.fabrikam.com",
            "customerTypeName": "Hush-Hush-Type",
        },
        "doNotLog": ["customerTypeName"],
    }
    response = api("post", "/api/procedures/", json=body, user="cm-admin")
    assert response.status_code == 400
    assert "Hush-Hush-Type" not in response.content.decode()
    nowhere_in_the_database("Hush-Hush-Type")
