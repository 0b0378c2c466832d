"""What the self-service pages share: running a procedure from a form.

A page is a door like the others: it validates its form, runs one procedure through the engine
as the logged-in caller, and shows the engine's error text beside the field it names (or at the
top of the form), keeping what the person typed. A form that is one procedure call is a
:class:`ProcedureForm`; :func:`form_submit` runs it, through :func:`form_run` like every page.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import ClassVar

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from portal.directory import domain_controller_default
from portal.engine import Caller, lookup, preflight, run
from portal.engine.registry import split_name
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


class ProcedureForm(forms.Form):
    """A form that is one procedure call.

    ``procedure`` names it (``Namespace::Procedure``); :meth:`execute_data` builds its
    ``executeData`` from the cleaned data (by default the cleaned data as they are, since field
    names are the procedure's argument names); ``field_map`` maps an argument the engine's error
    names to the field it belongs to; ``success`` is the message shown once it ran (formatted with
    the cleaned data).
    """

    procedure: ClassVar[str] = ""
    field_map: ClassVar[dict[str, str | None]] = {}
    success: ClassVar[str] = ""

    def execute_data(self) -> dict:
        """The call's ``executeData``."""
        return dict(self.cleaned_data)


def form_submit(
    request: HttpRequest, form: ProcedureForm, *, procedure: str | None = None, success: str | None = None
) -> dict | None:
    """Validate ``form`` and run its procedure (or ``procedure``) for the page's caller, with the
    pages' domain controller when the procedure takes one; then show ``success`` (a text as it is)
    or the form's own message (formatted with the cleaned data). The answer, or None with the
    refusal on the form."""
    if not form.is_valid():
        return None
    data = form.execute_data()  # may choose the procedure (a reseller or a customer, say)
    full_name = procedure or form.procedure
    takes_dc = any(
        arg.name == "preferredDomainController" for arg in lookup(*split_name(full_name)).schema.args
    )
    if takes_dc and not data.get("preferredDomainController"):
        data["preferredDomainController"] = domain_controller_default()
    result = form_run(request, form, full_name, data, field_map=form.field_map)
    if result is not None:
        text = success if success is not None else form.success.format(**form.cleaned_data)
        if text:
            messages.success(request, text)
    return result


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
