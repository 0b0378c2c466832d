"""Every example request of Microsoft's HMC pages (tests/data/hmc/examples.toml), sent to
``POST /mps/`` against the demo tree as an integrator would send it, answering the documented
shape. The requests are read from the data file, never copied here."""

from __future__ import annotations

import io
import tomllib
from pathlib import Path

import pytest
from django.core.management import call_command
from lxml import etree

from portal.mps.xmlio import element_to_value
from tests.conftest import ALPINE, DC, DC2, PASSWORD
from tests.mail.helpers import rcpt_status, send, wait_for

pytestmark = pytest.mark.django_db

DATA = Path(__file__).resolve().parent.parent / "data" / "hmc" / "examples.toml"
EXAMPLES = tomllib.loads(DATA.read_text(encoding="utf-8"))["example"]
BY_ID = {example["id"]: example for example in EXAMPLES}
#: The domain controller the contoso.com examples name: one more name of the demo's server, as a
#: provider configures its own (LDAP_DOMAIN_CONTROLLERS).
CONTOSO_DC = "myPrimaryDC.contoso.com"


def body(example: dict) -> bytes:
    """The request as sent: the page's text, its paths changed or its cut-off end completed as
    the data file says, and nothing else."""
    text = example["request"]
    for old, new in example.get("paths", []):
        assert old in text, (example["id"], old)
        text = text.replace(old, new)
    if example["source"] == "completed":
        text += example["completion"]
    return text.encode("utf-8")


@pytest.fixture
def demo(slapd, settings):
    call_command("load_demo", stdout=io.StringIO())
    controllers = settings.DIRECTORY["DOMAIN_CONTROLLERS"]
    settings.DIRECTORY = {
        **settings.DIRECTORY,
        # AD02 is the demo's second domain controller: the examples' first one answers to it (with
        # one server, and on the Samba pass too, where AD02 would see AD01's writes only once they
        # replicate: the examples are about shapes, the replication tests about replication)
        "DOMAIN_CONTROLLERS": {**controllers, DC2: controllers[DC], CONTOSO_DC: controllers[DC]},
    }


def _unsubscribe(mps) -> None:
    response = mps(
        f"""<request><procedure><execute namespace="Hosted Email 2007" procedure="Unsubscribe">
        <executeData><organization>LDAP://{ALPINE}</organization>
        <preferredDomainController>{DC}</preferredDomainController></executeData>
        </execute></procedure></request>""",
        "cm-admin",
    )
    assert response.status_code == 200, response.content


def _delete_mailbox(mps) -> None:
    response = mps(
        f"""<request><procedure><execute namespace="Hosted Email 2007" procedure="DeleteMailbox">
        <executeData><user>LDAP://CN=Jane Smith,{ALPINE}</user>
        <preferredDomainController>{DC}</preferredDomainController></executeData>
        </execute></procedure></request>""",
        "cm-admin",
    )
    assert response.status_code == 200, response.content


def _mailbox_user(mps, user_principal_name: str, alias: str, address: str) -> None:
    """A user of AlpineSkiHouse with a mailbox, made as an integrator makes one: Hosted
    Exchange::CreateBusinessUser (the CN is the userPrincipalName), then CreateMailbox."""
    response = mps(
        f"""<request><procedure>
        <execute namespace="Hosted Exchange" procedure="CreateBusinessUser" impersonate="1"><executeData>
        <container>LDAP://{ALPINE}</container><userPrincipalName>{user_principal_name}</userPrincipalName>
        <isAdmin>false</isAdmin><newPassword do-not-log="1">{PASSWORD}</newPassword>
        <preferredDomainController>{DC}</preferredDomainController></executeData></execute>
        <execute namespace="Hosted Email 2007" procedure="CreateMailbox" impersonate="1"><executeData>
        <user>LDAP://CN={user_principal_name},{ALPINE}</user><planName>Standard Mailbox</planName>
        <alias>{alias}</alias><emailAddresses><value>{address}</value></emailAddresses>
        <preferredDomainController>{DC}</preferredDomainController></executeData></execute>
        </procedure></request>""",
        "cm-admin",
    )
    assert response.status_code == 200, response.content


def _run(mps, example_id: str) -> None:
    example = BY_ID[example_id]
    response = mps(body(example), example["user"])
    assert response.status_code == example["status"], response.content


SETUP = {
    "unsubscribe AlpineSkiHouse": lambda mps, ldap_admin: _unsubscribe(mps),
    "make BronzeMailbox available to AlpineSkiHouse": lambda mps, ldap_admin: _run(mps, "A3"),
    "run B1": lambda mps, ldap_admin: _run(mps, "B1"),
    "delete Jane Smith's mailbox, which uses the domain": lambda mps, ldap_admin: _delete_mailbox(mps),
    "run B6": lambda mps, ldap_admin: _run(mps, "B6"),
    "add johnc@AlpineSkiHouse.com with a mailbox to AlpineSkiHouse": lambda mps, ldap_admin: _mailbox_user(
        mps, "johnc@AlpineSkiHouse.com", "johnc", "johnc@AlpineSkiHouse.com"
    ),
    "add User1 with a mailbox at u1@alpineskihouse.com to AlpineSkiHouse": lambda mps, ldap_admin: (
        _mailbox_user(mps, "User1", "u1", "u1@alpineskihouse.com")
    ),
    "add jimc to AlpineSkiHouse as other tools would": lambda mps, ldap_admin: ldap_admin.add_s(
        f"CN=jimc,{ALPINE}",
        [("objectClass", [b"inetOrgPerson"]), ("cn", [b"jimc"]), ("sn", [b"Clark"])],
    ),
}


def test_the_data_file_holds_every_example_of_the_extract_once():
    ids = [example["id"] for example in EXAMPLES]
    assert len(ids) == len(set(ids))
    for example in EXAMPLES:
        assert example["source"] in ("verbatim", "paths changed", "completed")
        checks = ("refused", "accepted", "delivered")
        assert example.get("mail") or not any(key in example for key in checks), example["id"]
        for name in example.get("setup", []):
            assert name in SETUP, name
    reference = Path("/work/shared/reference/hmc-shapes.md")
    if reference.exists():  # the extract itself, where it is at hand: every request is in it
        text = reference.read_text(encoding="utf-8")
        for example in EXAMPLES:
            assert example["request"].strip() in text, example["id"]


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda e: e["id"])
def test_the_example_runs_and_answers_the_documented_shape(request, demo, mps, ldap_admin, example):
    servers = request.getfixturevalue("mail_servers") if example.get("mail") else None
    for name in example.get("setup", []):
        SETUP[name](mps, ldap_admin)

    response = mps(body(example), example["user"], PASSWORD)

    assert response.status_code == example["status"], response.content
    assert response["Content-Type"].startswith("text/xml")
    root = etree.fromstring(response.content)
    assert root.tag == "response"
    if "answer" in example:  # the page documents the whole answer: <response><data /></response>
        (data,) = root
        assert data.tag == "data"
        assert element_to_value(data) == example["answer"], response.content
        if example["answer"] == "":
            assert response.content.endswith(b"<response>\n  <data/>\n</response>"), response.content
    for path in example.get("present", []):
        assert root.xpath(path), (path, response.content)
    for text in example.get("absent", []):
        assert text.encode() not in response.content
    for address in example.get("refused", []):
        assert rcpt_status(servers, address)[0] == 550, address
    for address in example.get("accepted", []):
        assert rcpt_status(servers, address)[0] == 250, address
    for address, logon in example.get("delivered", []):
        sent = send(servers, address)
        wait_for(servers, logon, PASSWORD, sent["Subject"])
