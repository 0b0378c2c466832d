"""The test harness: a real directory with the demo tree, reset per test.

The directory is never mocked. A session fixture starts a private slapd on a free loopback port
(never the demo's 3389) and points the portal's domain controller ``AD01.fabrikam.com`` at it; an
autouse fixture puts the demo tree back after any test that wrote to it.

``pytest --directory=samba`` (or ``PORTAL_TEST_DIRECTORY=samba``) runs the same tests against a
Samba AD DC instead, provisioned for the session in a temporary folder on a free loopback
address; ``ldap_admin`` then speaks the portal's vocabulary to it (portal/directory/samba.py).
"""

from __future__ import annotations

import base64
import os
from pathlib import Path

import pytest

os.environ.setdefault("PORTAL_DEMO", "1")
# no mail server unless a test asks for the session's pair (fixture mail_servers)
os.environ["DOVECOT_CONFIG"] = "/nonexistent/dovecot.conf"

ROOT = Path(__file__).resolve().parent.parent
DEMO_LDIF = ROOT / "demo" / "directory.ldif"
DC = "AD01.fabrikam.com"
DC2 = "AD02.fabrikam.com"
PASSWORD = "Passw0rd!"
HOSTING = "OU=Hosting,DC=fabrikam,DC=com"
CM = f"OU=ConsolidatedMessenger,{HOSTING}"
CONTOSO = f"OU=Contoso,{HOSTING}"
ALPINE = f"OU=AlpineSkiHouse,{CM}"
NORTHWIND = f"OU=Northwind,{CONTOSO}"
LITWARE = f"OU=Litware,{CM}"
JANE = f"CN=Jane Smith,{ALPINE}"
BOB = f"CN=Bob Kelly,{NORTHWIND}"


#: DCs of the Samba pass: 2 (AD01 and AD02, replicating); 1 skips the replication tests' cost
SAMBA_DCS = int(os.environ.get("PORTAL_TEST_DCS", "2"))


def pytest_addoption(parser):
    parser.addoption(
        "--directory",
        choices=("openldap", "samba"),
        default=os.environ.get("PORTAL_TEST_DIRECTORY", "openldap"),
        help="the directory the tests run against: a private slapd (default) or a Samba AD DC",
    )


def pytest_report_header(config):
    return f"directory: {config.getoption('--directory')}"


def _with_journal(items) -> None:
    """Every test that uses the database may use the engine's journal too (its own connection,
    the ``journal`` alias: portal/engine/journal.py), wrapped and reset like the main database."""
    for item in items:
        fixtures = getattr(item, "fixturenames", ())
        marker = item.get_closest_marker("django_db")
        uses = marker is not None or {"db", "transactional_db", "live_server"} & set(fixtures)
        if not uses:
            continue
        kwargs = dict(marker.kwargs) if marker is not None else {}
        if marker is not None and marker.args:
            kwargs.setdefault("transaction", marker.args[0])
        databases = kwargs.get("databases")
        if databases != "__all__":
            kwargs["databases"] = sorted({*(databases or ("default",)), "journal"})
        item.add_marker(pytest.mark.django_db(**kwargs), append=False)


def pytest_collection_modifyitems(config, items):
    """Tests marked ``samba`` (two domain controllers, replication, failover) run only against
    Samba: on OpenLDAP there is one server and no replication to test."""
    _with_journal(items)
    if config.getoption("--directory") == "samba" and SAMBA_DCS > 1:
        return
    kept = [item for item in items if not item.get_closest_marker("samba")]
    if len(kept) != len(items):
        config.hook.pytest_deselected(items=[item for item in items if item.get_closest_marker("samba")])
        items[:] = kept


class DirectoryState:
    """The running test directory and what the harness needs to put its data back."""

    def __init__(self, server, records, *, flavor: str = "openldap", keep=frozenset()) -> None:
        self.server = server
        self.records = records
        self.flavor = flavor
        self.keep = keep
        self.dirty = True

    def connect(self):
        """An administrator's connection that speaks the portal's vocabulary."""
        conn = self.server.connect()
        if self.flavor == "ad":
            from portal.directory.samba import PortalVocabularyConnection

            return PortalVocabularyConnection(conn, known_password=PASSWORD)
        return conn

    def reset(self) -> None:
        from portal.directory.server import reset_tree

        if self.flavor == "ad":
            self._reset_ad()
            return
        conn = self.connect()
        try:
            reset_tree(conn, self.records, keep=self.keep)
        finally:
            conn.unbind_s()
        self.dirty = False

    _keeper = None

    def _reset_ad(self) -> None:
        """Only what a test changed is put back (AD's adds with passwords are slow)."""
        from portal.directory.samba import DemoTreeKeeper

        if self._keeper is None:
            from customers.procedures.directory import ORGANIZATION_PROPERTIES, USER_PROPERTIES

            self._keeper = DemoTreeKeeper(
                self.connect,
                self.records,
                keep=self.keep,
                password=PASSWORD,
                written=(*ORGANIZATION_PROPERTIES.values(), *USER_PROPERTIES.values()),
            )
        self._keeper.reset()
        self.dirty = False


@pytest.fixture(scope="session")
def directory_flavor(request) -> str:
    """``openldap`` or ``ad``: the kind of directory this run's tests talk to."""
    return "ad" if request.config.getoption("--directory") == "samba" else "openldap"


def _point_portal_at(settings, dcs: dict[str, str], **directory) -> None:
    from config.settings import auth_ldap_settings
    from portal.directory import reset_gateways

    settings.DIRECTORY["DOMAIN_CONTROLLERS"] = dcs
    settings.DIRECTORY.update(directory)
    for name, value in auth_ldap_settings(settings.DIRECTORY).items():
        setattr(settings, name, value)
    reset_gateways()


@pytest.fixture(scope="session")
def samba_domain(request, directory_flavor):
    """Two Samba AD DCs for the session (``AD01``, and ``AD02`` joined to it and replicating), in a
    temporary folder; None on OpenLDAP runs."""
    if directory_flavor != "ad":
        yield None
        return
    import shutil

    from portal.directory.samba import SambaDomain, free_loopback_address, temporary_rundir

    rundir = temporary_rundir()
    domain = SambaDomain(rundir, free_loopback_address(count=SAMBA_DCS))
    try:
        domain.start()
        yield domain
    finally:
        domain.stop()
        shutil.rmtree(rundir, ignore_errors=True)


@pytest.fixture(scope="session")
def slapd(django_db_blocker, directory_flavor, samba_domain):
    """The directory with the demo tree (a private slapd, or the session's Samba DC); the portal's
    settings point at it."""
    from django.conf import settings

    from portal.directory import reset_gateways
    from portal.directory.server import PortalSlapd, read_ldif

    records = read_ldif(DEMO_LDIF)
    if samba_domain is not None:
        from portal.directory import samba

        dc = samba_domain.first
        conn = dc.connect()
        keep = frozenset(
            dn.lower() for dn, _ in conn.search_s(samba.SUFFIX, 1, "(objectClass=*)", ["1.1"]) if dn
        )
        conn.unbind_s()
        _point_portal_at(
            settings,
            dict(zip((DC, DC2), (each.ldap_uri for each in samba_domain.dcs), strict=False)),
            FLAVOR="ad",
            BIND_DN=samba.ADMIN_DN,
            BIND_PASSWORD=samba.ADMIN_PASSWORD,
            TLS_CACERT=str(dc.ca_file),
        )
        state = DirectoryState(dc, samba.groups_last(records), flavor="ad", keep=keep)
        state.reset()
        yield state
        reset_gateways()
        return
    server = PortalSlapd()
    server.start()
    uri = server.ldap_uri.rstrip("/")
    _point_portal_at(settings, {DC: uri})
    state = DirectoryState(server, records)
    state.reset()
    yield state
    reset_gateways()
    server.stop()


@pytest.fixture(autouse=True)
def directory(request, settings):
    """The demo tree, as the demo LDIF has it, for every test that touches the directory."""
    from django.core.cache import cache

    from portal.accounts import account_checks_forget_all
    from portal.auth import remembered_forget_all

    cache.clear()
    remembered_forget_all()  # what each process keeps of the shared cache goes with it
    account_checks_forget_all()
    if "slapd" not in request.fixturenames and not request.node.get_closest_marker("django_db"):
        yield None
        return
    from portal.directory import directory_written

    state = request.getfixturevalue("slapd")
    if state.dirty:
        state.reset()

    def written(**kwargs) -> None:
        state.dirty = True

    directory_written.connect(written, dispatch_uid="tests-directory-dirty")
    yield state
    directory_written.disconnect(dispatch_uid="tests-directory-dirty")


@pytest.fixture(autouse=True)
def state_guard():
    """Every test fails when the portal's state changes outside a running engine batch: a model
    write of a portal app or a directory write, other than a job's bookkeeping, Django's login
    bookkeeping and what the test arranges itself (``tests/guard.py``)."""
    from tests.guard import guard_start, guard_stop, portal_tables

    guard = guard_start(portal_tables())
    yield guard
    found = guard.take()
    guard_stop()
    if found:
        pytest.fail(
            "The portal's state changed outside the engine:\n" + "\n".join(dict.fromkeys(found)),
            pytrace=False,
        )


@pytest.fixture
def ldap_admin(slapd):
    """A root connection to the test directory (for arranging and inspecting, in the portal's
    vocabulary); marks the tree dirty."""
    conn = slapd.connect()
    slapd.dirty = True
    yield conn
    conn.unbind_s()


@pytest.fixture
def organization_factory(ldap_admin):
    """Make an organizational unit: ``organization_factory("Plain", HOSTING)`` (bare), or
    ``organization_factory("X", CM, organization_type="Customer")`` (compliant); answers its DN
    (tests/fixtures/directory.py)."""
    from tests.fixtures import directory

    return directory.organization_factory(ldap_admin)


@pytest.fixture
def user_factory(ldap_admin):
    """Make a person: ``user_factory("Kim Ralls", IMPORTS, login="kim.ralls", password=PASSWORD)``
    (bare), or with ``hosting=True`` (compliant); answers its DN (tests/fixtures/directory.py)."""
    from tests.fixtures import directory

    return directory.user_factory(ldap_admin)


@pytest.fixture
def group_factory(ldap_admin):
    """Make a group: ``group_factory("OrgCreators", ALPINE)``; answers its DN."""
    from tests.fixtures import directory

    return directory.group_factory(ldap_admin)


@pytest.fixture
def gateway(slapd):
    """The portal's gateway for ``AD01.fabrikam.com``."""
    from portal.directory import get_gateway

    return get_gateway(DC)


@pytest.fixture
def login(db, slapd):
    """Log a demo user in through the directory; returns the Django user."""
    from django.contrib.auth import authenticate

    def _login(username: str, password: str = PASSWORD):
        user = authenticate(None, username=username, password=password)
        assert user is not None, f"{username} could not log in"
        return user

    return _login


@pytest.fixture
def browser(client, login):
    """Django's test client logged in (through the directory) as a demo user:
    ``browser("cm-admin").get(...)`` (staff when no name is given)."""

    def _as(username: str = "administrator"):
        client.force_login(login(username))
        return client

    return _as


@pytest.fixture
def caller(login):
    """The engine caller of a demo user, logged in through the directory."""
    from portal.engine import Caller

    def _caller(username: str):
        return Caller.from_user(login(username))

    return _caller


@pytest.fixture(scope="session")
def seed():
    """The seeds' examples and error texts from tests/data/seeds, by procedure and heading:
    ``seed.example("Unsubscribe", "Example XML Request 1")`` (bytes, byte for byte),
    ``seed.error_text("Unsubscribe", "Neither GUID nor organization is specified.")``."""
    from tests.fixtures.seeds import seeds

    return seeds


def basic(username: str, password: str = PASSWORD) -> str:
    """An ``Authorization`` header value for HTTP Basic."""
    return "Basic " + base64.b64encode(f"{username}:{password}".encode()).decode()


@pytest.fixture
def mps(client, db, slapd):
    """POST an MPS request (bytes) to ``/mps/`` as a demo user."""

    def _post(body: bytes | str, username: str | None = "administrator", password: str = PASSWORD):
        headers = {"HTTP_AUTHORIZATION": basic(username, password)} if username else {}
        data = body.encode() if isinstance(body, str) else body
        return client.post("/mps/", data=data, content_type="text/xml", **headers)

    return _post


@pytest.fixture
def api(client, db, slapd):
    """Call the REST door as a demo user: ``api("post", "/api/procedures/", json=..., user=...)``."""

    def _call(method: str, url: str, *, json=None, user: str = "administrator", password: str = PASSWORD):
        headers = {"HTTP_AUTHORIZATION": basic(user, password)} if user else {}
        fn = getattr(client, method)
        if json is not None:
            return fn(url, data=json, content_type="application/json", **headers)
        return fn(url, **headers)

    return _call


def _dc_starts(samba_domain) -> int:
    return 0 if samba_domain is None else sum(dc.starts for dc in samba_domain.dcs)


@pytest.fixture(scope="session")
def mail_servers_session(slapd, samba_domain):
    """A private Postfix and Dovecot reading the test directory (the slapd, or the Samba DCs over
    LDAPS as the portal's service account), on free loopback ports, started once per session; the
    portal's settings point at them."""
    from django.conf import settings

    from portal.mailservers import DirectoryAccess, MailServers

    if samba_domain is not None:
        from portal.directory import samba

        access = DirectoryAccess(
            " ".join(dc.ldap_uri for dc in samba_domain.dcs),
            samba.ADMIN_DN,
            samba.ADMIN_PASSWORD,
            HOSTING,
            flavor="ad",
            ca_file=samba_domain.first.ca_file,
        )
    else:
        from portal.directory.server import ROOT_DN, ROOT_PW

        access = DirectoryAccess(slapd.server.ldap_uri.rstrip("/"), ROOT_DN, ROOT_PW, HOSTING)
    servers = MailServers(access, login_brakes=False)
    servers.start()
    servers.dc_starts = _dc_starts(samba_domain)
    saved = dict(settings.MAIL)
    settings.MAIL.update(
        SMTP_PORT=servers.smtp_port,
        IMAP_PORT=servers.imap_port,
        DOVECOT_CONFIG=str(servers.dovecot_config),
    )
    yield servers
    settings.MAIL.clear()
    settings.MAIL.update(saved)
    servers.stop()


@pytest.fixture
def mail_servers(mail_servers_session, samba_domain):
    """The session's mail servers with no stored mail: every test starts with empty mailboxes (on
    Samba the demo entries keep their GUIDs from one test to the next, and so their mail stores).

    On Samba, after a test stopped and started a DC the servers are restarted: while AD01 was down
    they went on with AD02 and would stay there, seeing AD01's writes only after replication."""
    if mail_servers_session.dc_starts != _dc_starts(samba_domain):
        mail_servers_session.restart()
        mail_servers_session.dc_starts = _dc_starts(samba_domain)
    mail_servers_session.clear_mailboxes()
    return mail_servers_session
