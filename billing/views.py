"""Pages of billing: the catalogue, accounts with their packages, invoices (HTML and PDF) and
payments, and the bill run. Reads come from the selectors; changes run procedures through the
engine (``portal.pages.form_run``), which checks who may make them."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse

from billing import selectors
from billing.forms import (
    AccountForm,
    AddPackageForm,
    BillRunForm,
    CancelPackageForm,
    DiscountRows,
    DunningRunForm,
    PackageForm,
    PaymentForm,
    ServiceForm,
    StatusForm,
    optional_services_xml,
    service_discounts_xml,
)
from billing.ledger import account_ledger, paid_through
from billing.models import BillingAccount, DunningNotice, DunningPolicy
from billing.pdf import invoice_pdf
from hosting.selectors import directory_object_at
from portal.engine import Caller
from portal.jobs import job_start
from portal.navigation import Crumb, tree_crumbs
from portal.pages import action_allowed, caller_of, form_preflight, form_run, form_submit
from portal.selectors import audit_history


@login_required
def index(request: HttpRequest) -> HttpResponse:
    """The accounts the caller sees; billing staff may open one."""
    caller = caller_of(request)
    form = AccountForm(request.POST or None, initial={"currency": "USD"})
    if request.method == "POST":
        done = form_submit(request, form)
        if done is not None:
            return redirect("billing:account", username=done["username"])
    return render(
        request,
        "billing/index.html",
        {
            "accounts": selectors.account_list(caller),
            "staff": selectors.billing_staff(caller),
            "form": form,
        },
    )


@login_required
def catalogue(request: HttpRequest) -> HttpResponse:
    """Services and packages; billing staff add to them."""
    caller = caller_of(request)
    services = list(selectors.service_list(caller))
    service_form = ServiceForm(request.POST if "add_service" in request.POST else None, prefix="service")
    package_form = PackageForm(
        request.POST if "add_package" in request.POST else None, prefix="package", services=services
    )
    if request.method == "POST":
        form = service_form if "add_service" in request.POST else package_form
        if form_submit(request, form) is not None:
            return redirect("billing:catalogue")
    return render(
        request,
        "billing/catalogue.html",
        {
            "services": services,
            "packages": selectors.package_list(caller),
            "service_form": service_form,
            "package_form": package_form,
            "staff": selectors.billing_staff(caller),
        },
    )


def account_crumbs(
    caller: Caller, account: BillingAccount, *, extra: list[Crumb] | None = None
) -> list[Crumb]:
    """Home, the hosting tree down to the account's organization (when it bills one), the account,
    then ``extra`` (the account is linked when steps follow it)."""
    here = Crumb(
        f"Account {account.username}",
        reverse("billing:account", args=[account.username]) if extra else None,
        "Billing account",
    )
    steps = [here, *(extra or [])]
    if account.customer_record is not None:
        return tree_crumbs(caller, account.customer_record.dn, extra=steps)
    return [Crumb("Home", reverse("home")), Crumb("Billing", reverse("billing:index")), *steps]


FIELD_MAP = {
    "packageID": "package",
    "xmlOptionalServices": "optional_services",
    "NextBillDate": "next_bill_date",
    "billNow": "bill_now",
    "chargeCreditCard": "charge_credit_card",
    "IsChildUser": "is_child",
}


def _lifecycle_action(request: HttpRequest, found: BillingAccount, form) -> HttpResponse | None:
    """Run the lifecycle action posted on the account page (cancel a package, record a payment,
    suspend or enable); None when the form has errors to show."""
    done = form_submit(request, form, success="")
    if done is None:
        return None
    if isinstance(form, CancelPackageForm):
        messages.success(request, f"User package {done['userPackageID']} ends on {done['cancelDate']}.")
    elif isinstance(form, PaymentForm):
        text = "Payment recorded." if done["created"] else "That payment was already recorded."
        if done.get("restored"):
            text += " The account is enabled again."
        messages.success(request, text)
    elif done.get("pendingStatus"):
        messages.success(
            request, f"The account is {done['status']}; {done['pendingStatus']} on {done['effectiveDate']}."
        )
    else:
        messages.success(request, f"The account is {done['status']}.")
    return redirect("billing:account", username=found.username)


def account_timeline(caller: Caller, found: BillingAccount) -> list[dict]:
    """Invoices, payments, credit notes and dunning steps of the account, newest first."""
    events = [
        {
            "day": i.issued_on,
            "kind": "Invoice",
            "text": f"{i.number} · {i.get_status_display()}",
            "amount": i.total,
            "url": reverse("billing:invoice", args=[found.username, i.pk]),
        }
        for i in selectors.invoice_list(caller, account=found.username)
    ]
    events += [
        {
            "day": p.paid_on or p.received_at.date(),
            "kind": "Payment",
            "text": f"{p.method}{' · ' + p.reference if p.reference else ''}",
            "amount": -p.amount,
            "url": None,
        }
        for p in selectors.payment_list(caller, account=found.username)
    ]
    events += [
        {
            "day": n.issued_on,
            "kind": "Credit note",
            "text": f"{n.number} · {n.reason}",
            "amount": -n.total,
            "url": None,
        }
        for n in selectors.credit_note_list(caller, account=found.username)
    ]
    events += [
        {"day": d.on, "kind": "Dunning", "text": d.message, "amount": None, "url": None}
        for d in found.dunning_notices.all()
    ]
    return sorted(events, key=lambda e: e["day"], reverse=True)


@login_required
def account(request: HttpRequest, username: str) -> HttpResponse:
    """One account: status and balance, its packages (and the forms that add and cancel one),
    the timeline of invoices, payments, credit notes and dunning, payments and charges."""
    caller = caller_of(request)
    found = selectors.account_get(caller, username)
    if found is None:
        raise Http404("No such billing account.")
    packages = list(selectors.package_list(caller))
    user_packages = list(selectors.user_package_list(caller, account=found.username))
    posted = request.POST if request.method == "POST" else None
    action = request.POST.get("action", "add") if posted is not None else None
    lifecycle_forms = {
        "cancel": CancelPackageForm(
            posted if action == "cancel" else None,
            user_packages=[up for up in user_packages if up.active and up.cancel_date is None],
            prefix="cancel",
            username=found.username,
        ),
        "payment": PaymentForm(
            posted if action == "payment" else None, prefix="payment", username=found.username
        ),
        "status": StatusForm(
            posted if action == "status" else None, prefix="status", username=found.username
        ),
    }
    if action in lifecycle_forms:
        answer = _lifecycle_action(request, found, lifecycle_forms[action])
        if answer is not None:
            return answer
        posted = None
    form = AddPackageForm(posted, packages=packages, prefix="add")
    rows = DiscountRows(posted, prefix="discount")
    if posted is not None and form.is_valid() and rows.is_valid():
        data = form.cleaned_data
        discounts = [row for row in rows.cleaned_data if row and row.get("service_name")]
        execute_data = {
            "username": found.username,
            "packageID": data["package"],
            "chargeCreditCard": data["charge_credit_card"],
            "IsChildUser": data["is_child"],
            "NextBillDate": data["next_bill_date"].isoformat() if data["next_bill_date"] else None,
            "billNow": data["bill_now"],
            "xmlOptionalServices": optional_services_xml([int(x) for x in data["optional_services"]]),
            "xmlServiceDiscounts": service_discounts_xml(discounts) if discounts else "",
        }
        done = form_run(
            request, form, "Billing::AddPackageToUserWithOptionalServices", execute_data, field_map=FIELD_MAP
        )
        if done is not None:
            messages.success(request, f"User package {done['userPackageID']} added.")
            return redirect("billing:account", username=found.username)
    return render(
        request,
        "billing/account.html",
        {
            "account": found,
            "ledger": account_ledger(found),
            "paid_through": paid_through(user_packages),
            "timeline": account_timeline(caller, found),
            "credit_notes": selectors.credit_note_list(caller, account=found.username),
            "cancel_form": lifecycle_forms["cancel"],
            "payment_form": lifecycle_forms["payment"],
            "status_form": lifecycle_forms["status"],
            "user_packages": user_packages,
            "invoices": selectors.invoice_list(caller, account=found.username),
            "payments": selectors.payment_list(caller, account=found.username),
            "attempts": selectors.charge_attempt_list(caller, account=found.username),
            "form": form,
            "rows": rows,
            "staff": selectors.billing_staff(caller),
            "organization": directory_object_at(caller, found.customer_record.dn, kind="organization")
            if found.customer_record
            else None,
            "crumbs": account_crumbs(caller, found),
            "history": audit_history(subject="username:" + found.username.lower(), reads=False),
        },
    )


def _invoice(request: HttpRequest, username: str, invoice_id: int):
    invoice = selectors.invoice_list(caller_of(request), account=username).filter(pk=invoice_id).first()
    if invoice is None:
        raise Http404("No such invoice.")
    return invoice


@login_required
def invoice(request: HttpRequest, username: str, invoice_id: int) -> HttpResponse:
    """An invoice as a page."""
    found = _invoice(request, username, invoice_id)
    crumbs = account_crumbs(caller_of(request), found.account, extra=[Crumb(f"Invoice {found.number}")])
    return render(request, "billing/invoice.html", {"invoice": found, "crumbs": crumbs})


@login_required
def invoice_pdf_download(request: HttpRequest, username: str, invoice_id: int) -> HttpResponse:
    """An invoice as a PDF document."""
    found = _invoice(request, username, invoice_id)
    response = HttpResponse(invoice_pdf(found), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{found.number}.pdf"'
    return response


@login_required
def bill_run(request: HttpRequest) -> HttpResponse:
    """Run the bill cycle (``Billing::RunBillCycle``) and show what it billed."""
    caller = caller_of(request)
    form = BillRunForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = {"date": form.cleaned_data["date"].isoformat()}
        username = form.cleaned_data["username"]
        if username:
            data["username"] = username
        if form_preflight(request, form, "Billing::RunBillCycle", data):
            title = f"Bill run of {data['date']}" + (f" for {username}" if username else "")
            job = job_start("bill-run", user=request.user, params=data, title=title)
            return redirect("job", job.pk)
    return render(
        request,
        "billing/bill_run.html",
        {
            "form": form,
            "may_run": action_allowed(caller, "Billing::RunBillCycle", {"date": "2000-01-01"}),
            "runs": selectors.bill_run_list(caller)[:20],
        },
    )


@login_required
def dunning(request: HttpRequest) -> HttpResponse:
    """Run dunning for a day (``Billing::RunDunning``, as a background job) and show recent runs,
    the policies and the latest notices."""
    caller = caller_of(request)
    form = DunningRunForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = {"date": form.cleaned_data["date"].isoformat()}
        if form_preflight(request, form, "Billing::RunDunning", data):
            job = job_start("dunning", user=request.user, params=data, title=f"Dunning of {data['date']}")
            return redirect("job", job.pk)
    staff = selectors.billing_staff(caller)
    return render(
        request,
        "billing/dunning.html",
        {
            "form": form,
            "may_run": action_allowed(caller, "Billing::RunDunning", {"date": "2000-01-01"}),
            "runs": selectors.dunning_run_list(caller)[:20],
            "policies": DunningPolicy.objects.all() if staff else [],
            "notices": DunningNotice.objects.filter(
                account__in=selectors.account_list(caller)
            ).select_related("account")[:50],
        },
    )
