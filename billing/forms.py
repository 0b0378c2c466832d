"""Forms of the billing pages. They only check the shape of what was typed; the procedures check
the rest and their error texts are shown beside the field (``portal.pages.form_run``)."""

from __future__ import annotations

from django import forms
from lxml import etree

from billing.models import BillCycle, DiscountType, Package, Service
from billing.money import CURRENCY_PLACES, written_plainly
from portal.pages import ProcedureForm


class MoneyField(forms.DecimalField):
    """An amount typed in plain decimal notation (``12.50``): an exponent (``1e3``), which
    :class:`~django.forms.DecimalField` alone would take, is refused like any malformed number."""

    def to_python(self, value):
        if value not in self.empty_values and not written_plainly(str(value)):
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        return super().to_python(value)


#: catalogue argument names and the form fields they belong to
CATALOGUE_FIELDS = {
    "serviceID": "service_id",
    "packageID": "package_id",
    "billCycle": "bill_cycle",
    "optionalServices": "optional_services",
    "defaultOptionalServices": "default_optional_services",
}


class ServiceForm(ProcedureForm):
    """Billing::CreateService."""

    procedure = "Billing::CreateService"
    field_map = CATALOGUE_FIELDS
    success = "{name} added to the catalogue."

    service_id = forms.IntegerField(label="Service ID (optional)", required=False, min_value=1)
    name = forms.CharField(max_length=128)
    recurring = forms.BooleanField(label="Recurring (billed every period)", required=False, initial=True)
    price = MoneyField(max_digits=14, decimal_places=2, min_value=0)

    def execute_data(self) -> dict:
        data = self.cleaned_data
        return {
            "serviceID": data["service_id"],
            "name": data["name"],
            "recurring": data["recurring"],
            "price": str(data["price"]),
        }


class PackageForm(ProcedureForm):
    """Billing::CreatePackage."""

    procedure = "Billing::CreatePackage"
    field_map = CATALOGUE_FIELDS
    success = "{name} added to the catalogue."

    package_id = forms.IntegerField(label="Package ID (optional)", required=False, min_value=1)
    name = forms.CharField(max_length=128)
    bill_cycle = forms.ChoiceField(label="Bill cycle", choices=BillCycle.choices)
    services = forms.MultipleChoiceField(
        label="Services", required=False, widget=forms.CheckboxSelectMultiple
    )
    optional_services = forms.MultipleChoiceField(
        label="Optional services", required=False, widget=forms.CheckboxSelectMultiple
    )
    default_optional_services = forms.MultipleChoiceField(
        label="Optional services on by default", required=False, widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args, services: list[Service], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        choices = [(str(s.pk), f"{s.name} ({s.price})") for s in services]
        for name in ("services", "optional_services", "default_optional_services"):
            self.fields[name].choices = choices

    def execute_data(self) -> dict:
        data = self.cleaned_data
        return {
            "packageID": data["package_id"],
            "name": data["name"],
            "billCycle": data["bill_cycle"],
            "services": [int(x) for x in data["services"]],
            "optionalServices": [int(x) for x in data["optional_services"]],
            "defaultOptionalServices": [int(x) for x in data["default_optional_services"]],
        }


class AccountForm(ProcedureForm):
    """Billing::CreateAccount."""

    procedure = "Billing::CreateAccount"
    success = "Billing account {username} opened."

    username = forms.CharField(max_length=150)
    name = forms.CharField(max_length=256, required=False)
    path = forms.CharField(label="LDAP path of the organization (optional)", max_length=1024, required=False)
    currency = forms.ChoiceField(choices=[(c, c) for c in CURRENCY_PLACES])

    def execute_data(self) -> dict:
        return {key: value for key, value in self.cleaned_data.items() if value}


class AddPackageForm(forms.Form):
    """The fields of ``AddPackageToUserWithOptionalServices``; discounts come as rows beside it."""

    package = forms.TypedChoiceField(label="Package", coerce=int)
    optional_services = forms.MultipleChoiceField(
        label="Optional services (the package's default ones are always added)",
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    next_bill_date = forms.DateField(
        label="Next bill date (empty: today)", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    bill_now = forms.BooleanField(label="Invoice now", required=False)
    charge_credit_card = forms.BooleanField(label="Charge the default card", required=False)
    is_child = forms.BooleanField(label="Child account's package (invoiced to the parent)", required=False)

    def __init__(self, *args, packages: list[Package], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["package"].choices = [(p.pk, f"{p.pk} · {p.name}") for p in packages]
        offered: dict[int, str] = {}
        for package in packages:
            for item in package.optional_services.all():
                default = ", on by default" if item.default_on else ""
                offered.setdefault(
                    item.service.pk,
                    f"{item.service.name} (ID {item.service.pk}, package {package.pk}{default})",
                )
        self.fields["optional_services"].choices = sorted(offered.items())
        if packages and not self.is_bound:  # the first package is the one chosen at first
            self.initial.setdefault(
                "optional_services",
                [str(item.service.pk) for item in packages[0].optional_services.all() if item.default_on],
            )


class DiscountRowForm(forms.Form):
    """One row of ``xmlServiceDiscounts``."""

    service_name = forms.CharField(label="Service", max_length=128, required=False)
    discount_type = forms.ChoiceField(label="Type", choices=DiscountType.choices, required=False)
    amount = MoneyField(label="Amount", max_digits=14, decimal_places=2, min_value=0, required=False)
    occurrences = forms.IntegerField(label="Bills (0: for ever)", min_value=0, required=False, initial=0)
    note = forms.CharField(label="Note", max_length=256, required=False)

    def clean(self) -> dict:
        data = super().clean()
        if data.get("service_name") and data.get("amount") is None:
            self.add_error("amount", "Give the discount's amount.")
        return data


DiscountRows = forms.formset_factory(DiscountRowForm, extra=3, max_num=20)


def optional_services_xml(ids: list[int]) -> str:
    """``<OptionalServices><ServiceID>..</ServiceID>...</OptionalServices>`` (seed 004)."""
    root = etree.Element("OptionalServices")
    for service_id in ids:
        etree.SubElement(root, "ServiceID").text = str(service_id)
    return etree.tostring(root, encoding="unicode")


def service_discounts_xml(rows: list[dict]) -> str:
    """``<ServiceDiscounts>`` with one group of the seed's five elements per row."""
    root = etree.Element("ServiceDiscounts")
    for row in rows:
        etree.SubElement(root, "ServiceName").text = row["service_name"]
        etree.SubElement(root, "discountType").text = row["discount_type"] or DiscountType.FIXED
        etree.SubElement(root, "discountAmount").text = str(row["amount"])
        etree.SubElement(root, "discountOccur").text = str(row.get("occurrences") or 0)
        etree.SubElement(root, "discountNote").text = row.get("note") or ""
    return etree.tostring(root, encoding="unicode")


class BillRunForm(forms.Form):
    date = forms.DateField(
        label="Bill everything due on or before", widget=forms.DateInput(attrs={"type": "date"})
    )
    username = forms.CharField(label="Only this account (optional)", max_length=150, required=False)


#: The five cancel options; the first, the end of the bill period (served to the end of what was
#: paid for), is the one chosen unless another is.
CANCEL_CHOICES = [
    ("PeriodEnd", "At the end of the billing period (served until then)"),
    ("ImmediatelyWithProratedTransaction", "Now, prorated (unused days credited)"),
    ("ImmediatelyWithFullTransaction", "Now, the whole period charged"),
    ("ImmediatelyWithNoTransaction", "Now, nothing charged or credited"),
    ("SpecificDate", "On a given day"),
]


class _AccountActionForm(ProcedureForm):
    """A form acting on one account (``username`` given by the page, not typed)."""

    def __init__(self, *args, username: str, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.username = username


class CancelPackageForm(_AccountActionForm):
    """``CancelUserPackage``: which package, which of the five options, the day for SpecificDate."""

    procedure = "Billing::CancelUserPackage"
    field_map = {
        "userPackageID": "user_package",
        "cancelOpt": "cancel_option",
        "specificDate": "specific_date",
    }

    user_package = forms.TypedChoiceField(label="User package", coerce=int)
    cancel_option = forms.ChoiceField(label="When and how", choices=CANCEL_CHOICES, initial="PeriodEnd")
    specific_date = forms.DateField(
        label="Day (with “On a given day”)", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, *args, user_packages: list, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["user_package"].choices = [
            (up.pk, f"{up.pk} · {up.package.name}") for up in user_packages
        ]

    def execute_data(self) -> dict:
        data = self.cleaned_data
        return {
            "username": self.username,
            "userPackageID": data["user_package"],
            "cancelOpt": data["cancel_option"],
            "specificDate": data["specific_date"].isoformat() if data["specific_date"] else None,
        }


PAYMENT_TYPES = [
    ("Cash", "Cash"),
    ("Check", "Check"),
    ("ACH", "ACH"),
    ("Credit Card", "Card"),
    ("Other", "Other"),
]


class PaymentForm(_AccountActionForm):
    """``AddPayment``: a payment received outside the portal."""

    procedure = "Billing::AddPayment"
    field_map = {
        "amount": "amount",
        "paymenttype": "payment_type",
        "CheckNumber": "check_number",
        "cardType": "card_type",
        "reference": "reference",
    }

    amount = MoneyField(
        label="Amount",
        max_digits=14,
        decimal_places=2,
        min_value=0,
        error_messages={"invalid": "INVALID AMOUNT"},
    )
    payment_type = forms.ChoiceField(label="Type", choices=PAYMENT_TYPES)
    check_number = forms.IntegerField(label="Check number (with Check)", required=False, min_value=1)
    card_type = forms.CharField(
        label="Card type (with Card: Visa, MasterCard, …)", max_length=32, required=False
    )
    reference = forms.CharField(
        label="Reference (recorded once: a retry with the same reference adds nothing)",
        max_length=128,
        required=False,
    )
    detail = forms.CharField(label="Note", max_length=512, required=False)

    def execute_data(self) -> dict:
        data = self.cleaned_data
        return {
            "username": self.username,
            "amount": str(data["amount"]),
            "paymenttype": data["payment_type"],
            "CheckNumber": str(data["check_number"] or ""),
            "cardType": data["card_type"],
            "reference": data["reference"],
            "detail": data["detail"],
        }


class StatusForm(_AccountActionForm):
    """``UpdateUserStatusWithOption`` by hand: suspend, enable again or cancel, with a reason; a
    cancellation takes one of the five options (the end of the bill period unless another)."""

    procedure = "Billing::UpdateUserStatusWithOption"
    field_map = {
        "userstatustypename": "status",
        "reason": "reason",
        "cancelopt": "cancel_option",
        "specificdate": "specific_date",
    }
    success = "The account is {status}."

    status = forms.ChoiceField(
        label="Status",
        choices=[("Suspended", "Suspend"), ("Enabled", "Enable again"), ("Cancelled", "Cancel the account")],
    )
    cancel_option = forms.ChoiceField(
        label="When and how (with Cancel)", choices=CANCEL_CHOICES, initial="PeriodEnd", required=False
    )
    specific_date = forms.DateField(
        label="Day (with “On a given day”)", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    reason = forms.CharField(label="Reason", max_length=256)

    def execute_data(self) -> dict:
        data = self.cleaned_data
        cancelling = data["status"] == "Cancelled"
        return {
            "username": self.username,
            "userstatustypename": data["status"],
            "cancelopt": (data["cancel_option"] or "PeriodEnd")
            if cancelling
            else "ImmediatelyWithNoTransaction",
            "specificdate": data["specific_date"].isoformat()
            if cancelling and data["specific_date"]
            else None,
            "reason": data["reason"],
        }


class DunningRunForm(forms.Form):
    date = forms.DateField(label="Run dunning for the day", widget=forms.DateInput(attrs={"type": "date"}))
