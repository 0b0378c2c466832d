"""Forms of the e-mail service pages. Field names are the procedures' argument names, so that the
engine's error lands beside the field it names; the engine does every check that matters."""

from __future__ import annotations

from django import forms

from email_service.models import FEATURES
from portal.pages import ProcedureForm

FEATURE_CHOICES = [(name, name) for name in FEATURES]
MEBIBYTE = 1024 * 1024
SEND_QUOTA_MAX = 2_147_483_647


class OrganizationPlanForm(ProcedureForm):
    """Hosted Email 2007::CreateOrganizationPlan (its ``features`` built from the fields)."""

    procedure = "Hosted Email 2007::CreateOrganizationPlan"
    field_map = {"features": "protocols"}
    success = "The organization plan was created."

    planName = forms.CharField(label="Plan name", max_length=128)  # noqa: N815
    description = forms.CharField(max_length=1024)
    megabytes = forms.IntegerField(label="Storage limit (MB)", min_value=1)
    maxMailboxes = forms.IntegerField(label="Mailbox limit", min_value=1)  # noqa: N815
    defaultMailboxMegabytes = forms.IntegerField(label="Default mailbox size (MB)", min_value=1)  # noqa: N815
    protocols = forms.MultipleChoiceField(
        label="Protocols its user plans may enable",
        choices=FEATURE_CHOICES,
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )

    def execute_data(self) -> dict:
        data = self.cleaned_data
        return {
            "planName": data["planName"],
            "description": data["description"],
            "features": {
                "mailStore": {
                    "dynamicQuota": 0,
                    "megabytes": data["megabytes"],
                    "shared": 1,
                    "algorithm": "level",
                },
                "maxMailboxes": data["maxMailboxes"],
                "defaultMailboxMegabytes": data["defaultMailboxMegabytes"],
                "protocols": {"protocol": data["protocols"]},
            },
        }


class UserPlanForm(ProcedureForm):
    """Hosted Email 2007::CreateUserPlan (its ``features`` built from the fields)."""

    procedure = "Hosted Email 2007::CreateUserPlan"
    field_map = {"features": "protocols"}
    success = "The user plan was created."

    planName = forms.CharField(label="User plan name", max_length=128)  # noqa: N815
    description = forms.CharField(max_length=1024)
    organizationPlanName = forms.ChoiceField(label="Organization plan")  # noqa: N815
    prohibitSendQuota = forms.IntegerField(  # noqa: N815
        label="Mailbox size (MB)",
        min_value=1,
        help_text="Sent in bytes as prohibitSendReceiveQuota (and prohibitSendQuota, at most 2 GB).",
    )
    protocols = forms.MultipleChoiceField(
        label="Protocols", choices=FEATURE_CHOICES, widget=forms.CheckboxSelectMultiple, required=False
    )

    def __init__(self, *args, plan_names: list[str], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["organizationPlanName"].choices = [(name, name) for name in plan_names]

    def execute_data(self) -> dict:
        data = self.cleaned_data
        size = data["prohibitSendQuota"] * MEBIBYTE
        return {
            "planName": data["planName"],
            "description": data["description"],
            "organizationPlanName": data["organizationPlanName"],
            "features": {
                # the page's prohibitSendQuota stops at 2,147,483,647 bytes; the mailbox size is
                # prohibitSendReceiveQuota
                "prohibitSendQuota": min(size, SEND_QUOTA_MAX),
                "prohibitSendReceiveQuota": size,
                "protocols": {"protocol": data["protocols"]},
            },
        }


class AvailablePlanForm(ProcedureForm):
    """Hosted Email 2007::AddAvailablePlans (or RemoveAvailablePlans) of one plan."""

    procedure = "Hosted Email 2007::AddAvailablePlans"
    field_map = {"availablePlans": "planName"}

    organization = forms.ChoiceField(label="Organization")
    planName = forms.ChoiceField(label="Organization plan")  # noqa: N815

    def __init__(self, *args, organizations: list[tuple[str, str]], plan_names: list[str], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["organization"].choices = organizations
        self.fields["planName"].choices = [(name, name) for name in plan_names]

    def execute_data(self) -> dict:
        return {
            "organization": self.cleaned_data["organization"],
            "availablePlans": {"planName": [self.cleaned_data["planName"]]},
        }


class SubscribeForm(ProcedureForm):
    """Hosted Email 2007::Subscribe, then ::CreateSMTPDomain (``smtp_domain_data``), in one call."""

    procedure = "Hosted Email 2007::Subscribe"
    success = "The customer was subscribed."

    organization = forms.ChoiceField(label="Customer")
    planName = forms.ChoiceField(label="Organization plan")  # noqa: N815
    domainName = forms.CharField(label="SMTP domain", max_length=253)  # noqa: N815

    def __init__(self, *args, organizations: list[tuple[str, str]], plan_names: list[str], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["organization"].choices = organizations
        self.fields["planName"].choices = [(name, name) for name in plan_names]

    def execute_data(self) -> dict:
        return {"organization": self.cleaned_data["organization"], "planName": self.cleaned_data["planName"]}

    def smtp_domain_data(self) -> dict:
        """``CreateSMTPDomain``'s executeData, run in the same batch right after ``Subscribe``."""
        return {
            "organization": self.cleaned_data["organization"],
            "domainName": self.cleaned_data["domainName"],
        }


class UnsubscribeForm(ProcedureForm):
    """Hosted Email 2007::Unsubscribe of one organization."""

    procedure = "Hosted Email 2007::Unsubscribe"
    success = "The customer was unsubscribed."

    organization = forms.CharField(widget=forms.HiddenInput)


class ModifyUserPlanForm(ProcedureForm):
    """Hosted Email 2007::ModifyUserPlan of one user."""

    procedure = "Hosted Email 2007::ModifyUserPlan"
    success = "The user's plan was changed."

    user = forms.CharField(widget=forms.HiddenInput)
    planName = forms.ChoiceField(label="User plan")  # noqa: N815

    def __init__(self, *args, plan_names: list[str], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["planName"].choices = [("", "Choose a plan"), *((name, name) for name in plan_names)]


class CreateMailboxForm(ProcedureForm):
    """Hosted Email 2007::CreateMailbox of one user (the page's)."""

    procedure = "Hosted Email 2007::CreateMailbox"

    planName = forms.ChoiceField(label="Mailbox plan")  # noqa: N815
    alias = forms.CharField(label="Alias", max_length=64)
    emailAddresses = forms.CharField(  # noqa: N815
        label="E-mail addresses",
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="One a line; the first is the primary address.",
    )

    def __init__(self, *args, user_path: str, plan_names: list[str], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.user_path = user_path
        self.fields["planName"].choices = [("", "Choose a plan"), *((name, name) for name in plan_names)]

    def addresses(self) -> list[str]:
        return [line.strip() for line in self.cleaned_data["emailAddresses"].splitlines() if line.strip()]

    def execute_data(self) -> dict:
        return {**self.cleaned_data, "user": self.user_path, "emailAddresses": {"value": self.addresses()}}


class MailboxActionForm(ProcedureForm):
    """DisableMailbox, EnableMailbox or DeleteMailbox of one user (the page's): no fields."""

    def __init__(self, *args, user_path: str, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.user_path = user_path

    def execute_data(self) -> dict:
        return {"user": self.user_path}
