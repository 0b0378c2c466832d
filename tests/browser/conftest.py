"""Browser tests: the portal on a live server, driven in Debian's Chromium by Playwright.

Every test here is marked ``browser``; ``make test`` runs them (``-m "not browser"`` leaves them
out while iterating). Screenshots of the main pages land in ``var/screenshots/``.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

# Playwright's sync API keeps an event loop in the test thread; the ORM calls the tests make
# there are still synchronous and safe.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "1")

SCREENSHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/browser/" in str(item.fspath):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def chromium():
    """One headless Chromium for the session (Debian's package, not a downloaded build)."""
    from playwright.sync_api import sync_playwright

    executable = shutil.which("chromium") or "/usr/bin/chromium"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def portal(live_server, slapd):
    """The live server's base URL, with the test slapd behind it."""
    return live_server.url


@pytest.fixture
def page(chromium):
    """A fresh browser context and page per test (desktop size)."""
    context = chromium.new_context(viewport={"width": 1280, "height": 860})
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


@pytest.fixture
def phone(chromium):
    """A phone-sized page."""
    context = chromium.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    page = context.new_page()
    yield page
    context.close()


def log_in(page, portal: str, username: str, password: str = "Passw0rd!") -> None:
    """Log in through the login page, as a person would."""
    page.goto(f"{portal}/login/")
    page.get_by_label("User name").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_load_state()


def navigate(page, label: str) -> None:
    """Follow the link ``label`` of the main navigation."""
    page.get_by_role("navigation", name="Main").get_by_role("link", name=label, exact=True).click()


def screenshot(page, name: str) -> Path:
    """Save a full-page screenshot as ``var/screenshots/<name>.png``."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def accessibility_violations(page) -> list[str]:
    """axe-core's serious and critical violations on the current page, as readable lines."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    found = []
    for violation in results.response["violations"]:
        if violation.get("impact") in ("serious", "critical"):
            targets = ", ".join(str(node["target"]) for node in violation["nodes"][:3])
            found.append(f"{violation['id']} ({violation['impact']}): {violation['help']} — {targets}")
    return found


@pytest.fixture
def demo(portal, django_db_blocker):
    """The demo's Plans database, e-mail plans and billing data (``manage.py load_demo``) behind
    the live server, on top of the demo directory tree."""
    from django.core.management import call_command

    with django_db_blocker.unblock(), open(os.devnull, "w") as quiet:
        call_command("load_demo", stdout=quiet)
    return portal


def fits(page, width: int) -> bool:
    """True when nothing on the page is wider than ``width`` CSS pixels (no sideways scrolling)."""
    return page.evaluate("document.documentElement.scrollWidth") <= width


@pytest.fixture
def held_job(monkeypatch):
    """Holds the next background job just after its first progress report until the test calls
    the returned function, so that a test sees the job's page while the job is still running.
    The job itself runs unchanged, in the live server's worker pool."""
    import threading

    from portal.jobs import JobRun

    reported, released = threading.Event(), threading.Event()
    report = JobRun.progress

    def progress(self, done, total=None):
        report(self, done, total)
        if not reported.is_set():
            reported.set()
            released.wait(15)

    monkeypatch.setattr(JobRun, "progress", progress)
    yield released.set
    released.set()


def object_page(portal: str, dn: str) -> str:
    """The address of the page of the organization or user at ``dn``."""
    from portal.directory import default_gateway
    from portal.navigation import object_url

    return portal + object_url(default_gateway().get(dn))


@pytest.fixture
def invoice(demo, caller):
    """The demo data and one open invoice of AlpineSkiHouse's account (``alpineskihouse``, under
    ConsolidatedMessenger): package 1 billed now, the card not charged."""
    from tests.pages import invoice_billed_now

    return invoice_billed_now(caller)
