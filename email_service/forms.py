"""Forms of the e-mail service pages. Field names are the procedures' argument names, so that the
engine's error lands beside the field it names; the engine does every check that matters."""

from __future__ import annotations

from django import forms

from email_service.models import FEATURES
from portal.pages import ProcedureForm

FEATURE_CHOICES = [(name, name) for name in FEATURES]


class OrganizationPlanForm(ProcedureForm):
    """Hosted Email 2007::CreateOrganizationPlan."""

    procedure = "Hosted Email 2007::CreateOrganizationPlan"
    success = "The organization plan was created."

    name = forms.CharField(label="Plan name", max_length=128)
    maxMailboxes = forms.IntegerField(label="Mailbox limit", min_value=1)  # noqa: N815
    defaultMailboxSizeMB = forms.IntegerField(label="Default mailbox size (MB)", min_value=1)  # noqa: N815
    maxStorageMB = forms.IntegerField(label="Storage limit (MB)", min_value=1)  # noqa: N815
    features = forms.MultipleChoiceField(
        label="Features its user plans may enable",
        choices=FEATURE_CHOICES,
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )

    def execute_data(self) -> dict:
        return {**self.cleaned_data, "features": {"feature": self.cleaned_data["features"]}}


class UserPlanForm(ProcedureForm):
    """Hosted Email 2007::CreateUserPlan."""

    procedure = "Hosted Email 2007::CreateUserPlan"
    success = "The user plan was created."

    name = forms.CharField(label="User plan name", max_length=128)
    organizationPlan = forms.ChoiceField(label="Organization plan")  # noqa: N815
    mailboxSizeMB = forms.IntegerField(  # noqa: N815
        label="Mailbox size (MB)", min_value=1, required=False, help_text="Empty: the plan's default."
    )
    features = forms.MultipleChoiceField(
        label="Features", choices=FEATURE_CHOICES, widget=forms.CheckboxSelectMultiple, required=False
    )

    def __init__(self, *args, plan_names: list[str], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["organizationPlan"].choices = [(name, name) for name in plan_names]

    def execute_data(self) -> dict:
        return {**self.cleaned_data, "features": {"feature": self.cleaned_data["features"]}}


class AvailablePlanForm(ProcedureForm):
    """Hosted Email 2007::AddAvailablePlans (or RemoveAvailablePlans) of one plan."""

    procedure = "Hosted Email 2007::AddAvailablePlans"
    field_map = {"plans": "plan"}

    organization = forms.ChoiceField(label="Organization")
    plan = forms.ChoiceField(label="Organization plan")

    def __init__(self, *args, organizations: list[tuple[str, str]], plan_names: list[str], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["organization"].choices = organizations
        self.fields["plan"].choices = [(name, name) for name in plan_names]

    def execute_data(self) -> dict:
        return {
            "organization": self.cleaned_data["organization"],
            "plans": {"plan": [self.cleaned_data["plan"]]},
        }


class SubscribeForm(ProcedureForm):
    """Hosted Email 2007::Subscribe."""

    procedure = "Hosted Email 2007::Subscribe"
    success = "The customer was subscribed."

    organization = forms.ChoiceField(label="Customer")
    organizationPlan = forms.ChoiceField(label="Organization plan")  # noqa: N815
    smtpDomain = forms.CharField(label="SMTP domain", max_length=253)  # noqa: N815

    def __init__(self, *args, organizations: list[tuple[str, str]], plan_names: list[str], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["organization"].choices = organizations
        self.fields["organizationPlan"].choices = [(name, name) for name in plan_names]


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
    userPlan = forms.ChoiceField(label="User plan")  # noqa: N815

    def __init__(self, *args, plan_names: list[str], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["userPlan"].choices = [("", "Choose a plan"), *((name, name) for name in plan_names)]


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
