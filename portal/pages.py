"""What the self-service pages share: running a procedure from a form.

A page is a door like the others: it validates its form, runs one procedure through the engine
as the logged-in caller, and shows the engine's error text beside the field it names (or at the
top of the form), keeping what the person typed.
"""

from __future__ import annotations

from collections.abc import Mapping

from django import forms
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from portal.engine import Caller, preflight, run
from portal.errors import PortalError


def caller_of(request: HttpRequest) -> Caller:
    """The engine caller of the logged-in user."""
    return Caller.from_user(request.user)


def _error_on_form(form: forms.Form, err: PortalError, field_map: Mapping[str, str] | None) -> None:
    target = (field_map or {}).get(err.field or "", err.field)
    if target in form.fields:
        form.add_error(target, err.text)
    else:
        form.add_error(None, err.text)


def form_preflight(
    request: HttpRequest,
    form: forms.Form,
    full_name: str,
    data: Mapping,
    *,
    field_map: Mapping[str, str] | None = None,
) -> bool:
    """Whether the engine would start ``full_name`` with ``data`` for the page's caller (for work
    handed to a background job); if not, its refusal goes on ``form`` as with :func:`form_run`."""
    try:
        preflight(caller_of(request), full_name, data)
    except PortalError as err:
        _error_on_form(form, err, field_map)
        return False
    return True


def form_run(
    request: HttpRequest,
    form: forms.Form,
    full_name: str,
    data: Mapping,
    *,
    field_map: Mapping[str, str] | None = None,
) -> dict | None:
    """Run ``full_name`` with ``data`` for the page's caller; on a refusal, put the engine's text
    on ``form`` (on the field the error names, mapped through ``field_map`` from argument name to
    form field, else at the top) and return None."""
    try:
        return run(caller_of(request), full_name, data, door="page")
    except PortalError as err:
        _error_on_form(form, err, field_map)
        return None


def action_allowed(caller: Caller, full_name: str, data: Mapping) -> bool:
    """Whether the engine would let ``caller`` start ``full_name`` with ``data`` (a complete,
    valid call): pages show an action only to the callers it would not refuse."""
    try:
        preflight(caller, full_name, data)
    except PortalError:
        return False
    return True


CONFIRMED = "yes"


def confirmation_needed(
    request: HttpRequest, *, title: str, message: str, confirm_label: str, cancel_url: str
) -> HttpResponse | None:
    """For a destructive POST: None once the person has confirmed, else the page that asks.

    The confirmation page posts the same fields again with ``confirmed=yes``, so it works without
    JavaScript and nothing the person chose is lost; *Cancel* goes back to ``cancel_url``.
    """
    if request.POST.get("confirmed") == CONFIRMED:
        return None
    fields = [
        (name, value)
        for name, values in request.POST.lists()
        for value in values
        if name not in ("csrfmiddlewaretoken", "confirmed")
    ]
    return render(
        request,
        "portal/confirm.html",
        {
            "title": title,
            "message": message,
            "confirm_label": confirm_label,
            "cancel_url": cancel_url,
            "fields": fields,
        },
    )


def read_call(caller: Caller, full_name: str, data: Mapping) -> dict | None:
    """A read procedure's answer for a page, or None when the engine refuses it (a page shows
    what the caller may read and leaves the rest out)."""
    try:
        return run(caller, full_name, data, door="page")
    except PortalError:
        return None
