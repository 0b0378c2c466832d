"""A person without a mouse: the skip link, the main navigation, the search box and a form are
reached and used with Tab and Enter alone, every stop shows a focus indicator that stands out
from what is behind it, and every form control has a label."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import log_in, object_page
from tests.conftest import ALPINE

pytestmark = pytest.mark.django_db(transaction=True)

MAX_TABS = 60

# What has the keyboard focus: its name as read (label, aria-label or text), whether it sits in
# <main>, and its focus indicator (outline, else box-shadow) with the contrast of the indicator's
# colour against the background behind the element.
FOCUSED = """() => {
  const el = document.activeElement;
  const channels = (text) => (text.match(/[\\d.]+/g) || []).map(Number);
  const luminance = ([r, g, b]) => {
    const f = (c) => { c /= 255; return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4; };
    return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
  };
  let behind = [255, 255, 255];
  for (let up = el.parentElement; up; up = up.parentElement) {
    const c = channels(getComputedStyle(up).backgroundColor);
    if (c.length === 3 || c[3] > 0) { behind = c; break; }
  }
  const style = getComputedStyle(el);
  let width = 0, colour = null;
  if (style.outlineStyle !== "none" && parseFloat(style.outlineWidth) > 0) {
    width = parseFloat(style.outlineWidth); colour = channels(style.outlineColor);
  } else if (style.boxShadow !== "none") {
    const shadow = channels(style.boxShadow);
    colour = shadow.slice(0, 3); width = Math.max(...shadow.slice(3));
  }
  let contrast = 0;
  if (colour) {
    const [a, b] = [luminance(colour), luminance(behind)].sort((x, y) => y - x);
    contrast = (a + 0.05) / (b + 0.05);
  }
  const label = el.labels && el.labels.length ? el.labels[0].textContent : "";
  const name = (el.getAttribute("aria-label") || label || el.innerText || el.value || "").trim();
  return { name, tag: el.tagName, inMain: !!el.closest("main"), width, contrast };
}"""


def tab_to(page, name: str, *, in_main: bool | None = None) -> dict:
    """Press Tab until the element named ``name`` has the focus (and, if asked, sits in or out of
    <main>); every stop on the way must show a focus indicator of 2 px or more with a contrast of
    3:1 or more against what is behind it."""
    for _ in range(MAX_TABS):
        page.keyboard.press("Tab")
        focused = page.evaluate(FOCUSED)
        assert focused["width"] >= 2, f"no visible focus indicator on {focused}"
        assert focused["contrast"] >= 3, f"the focus indicator hardly stands out on {focused}"
        if focused["name"] == name and (in_main is None or focused["inMain"] == in_main):
            return focused
    raise AssertionError(f"{name!r} was not reached with {MAX_TABS} presses of Tab")


def test_skip_link_main_navigation_and_search_box_work_with_the_keyboard(page, demo, portal):
    log_in(page, portal, "cm-admin")
    tab_to(page, "Skip to content")
    box = page.get_by_role("link", name="Skip to content").bounding_box()
    assert box["x"] >= 0 and box["y"] >= 0  # shown while it has the focus
    page.keyboard.press("Enter")
    page.keyboard.press("Tab")
    assert page.evaluate(FOCUSED)["inMain"]  # the next stop is in the content, past the navigation

    page.reload()
    tab_to(page, "Search organizations, users, SMTP domains and billing accounts")
    page.keyboard.type("Litware")
    page.keyboard.press("Enter")
    page.wait_for_url("**/search/?q=Litware")
    tab_to(page, "Litware", in_main=True)
    page.keyboard.press("Enter")
    page.get_by_role("heading", level=1, name="Litware").wait_for()

    tab_to(page, "Users", in_main=False)  # the main navigation
    page.keyboard.press("Enter")
    page.get_by_role("heading", level=1, name="Users").wait_for()
    assert page.get_by_role("navigation", name="Main").locator("[aria-current=page]").inner_text() == "Users"


def test_a_form_is_filled_in_and_sent_with_the_keyboard_alone(page, demo, portal):
    log_in(page, portal, "cm-admin")
    page.goto(object_page(portal, ALPINE))
    tab_to(page, "Create a user")
    page.keyboard.press("Enter")
    page.get_by_role("heading", level=1, name="New user in AlpineSkiHouse").wait_for()

    # sent empty: each refused field says why, and the message is tied to its control
    tab_to(page, "Create")
    page.keyboard.press("Enter")
    name = page.get_by_label("User principal name", exact=True)
    expect(name).to_have_attribute("aria-invalid", "true")
    described = [
        page.locator(f"#{ref}").inner_text() for ref in name.get_attribute("aria-describedby").split()
    ]
    assert described == [
        "name@domain.com: the logon name, and the user's name in the directory.",
        "This field is required.",
    ]

    tab_to(page, "User principal name")
    # the short logon name is left empty: the part before @ is taken
    for text in ("kim.akers@alpineskihouse.com", "", "Ski4ever!2024", "Kim", "Akers"):
        page.keyboard.type(text)
        page.keyboard.press("Tab")
    assert page.evaluate(FOCUSED)["name"] == "Display name"
    tab_to(page, "Kind")
    page.keyboard.press("ArrowDown")  # a consumer e-mail user, chosen from the list by keyboard
    tab_to(page, "Create")
    page.keyboard.press("Enter")
    page.get_by_role("heading", level=1, name="AlpineSkiHouse", exact=True).wait_for()
    assert page.get_by_role("status").inner_text() == "The user kim.akers@alpineskihouse.com was created."
    assert page.get_by_role("region", name="History").get_by_text("CreateConsumerUser").is_visible()


UNLABELLED = """() => {
  const text = (el) => (el ? el.textContent.trim() : "");
  const named = (el) =>
    [...(el.labels || [])].some((label) => text(label)) ||
    (el.getAttribute("aria-label") || "").trim() ||
    (el.getAttribute("aria-labelledby") || "").split(/\\s+/).some((id) => text(document.getElementById(id)));
  const controls = [...document.querySelectorAll("input, select, textarea")].filter((el) => el.type !== "hidden");
  const unlabelled = controls.filter((el) => !named(el)).map((el) => el.name || el.id);
  const dangling = [...document.querySelectorAll("[aria-describedby], [aria-labelledby]")].flatMap((el) =>
    [el.getAttribute("aria-describedby"), el.getAttribute("aria-labelledby")]
      .join(" ").split(/\\s+/).filter((id) => id && !document.getElementById(id))
      .map((id) => `${el.name || el.id || el.tagName} -> #${id}`));
  return { count: controls.length, unlabelled, dangling };
}"""

FORM_PAGES = [
    "/organizations/new/",
    "/organizations/users/",
    "/organizations/import/",
    "/email/plans/",
    "/email/subscriptions/",
    "/email/organization/?organization=LDAP://" + ALPINE,
    "/billing/",
    "/billing/catalogue/",
    "/billing/accounts/alpineskihouse/",
    "/billing/bill-run/",
]


def test_every_form_control_has_a_label_and_its_descriptions_exist(page, demo, portal):
    log_in(page, portal, "administrator")
    found = {}
    alpine = object_page(portal, ALPINE).removeprefix(portal)
    for where in [*FORM_PAGES, alpine, alpine + "users/new/"]:
        assert page.goto(portal + where).ok, where
        controls = page.evaluate(UNLABELLED)
        assert controls["count"] > 1, where  # the page's forms are there (and the search box)
        if controls["unlabelled"] or controls["dangling"]:
            found[where] = controls
    assert found == {}
