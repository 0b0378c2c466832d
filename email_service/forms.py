"""Forms of the e-mail service pages. Field names are the procedures' argument names, so that the
engine's error lands beside the field it names; the engine does every check that matters."""

from __future__ import annotations

from django import forms

from email_service.models import FEATURES

FEATURE_CHOICES = [(name, name) for name in FEATURES]


class OrganizationPlanForm(forms.Form):
    """Hosted Email 2007::CreateOrganizationPlan (its ``features`` built from the fields)."""

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


class UserPlanForm(forms.Form):
    """Hosted Email 2007::CreateUserPlan (its ``features`` built from the fields)."""

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


class AvailablePlanForm(forms.Form):
    """Hosted Email 2007::AddAvailablePlans / RemoveAvailablePlans of one plan."""

    organization = forms.ChoiceField(label="Organization")
    planName = forms.ChoiceField(label="Organization plan")  # noqa: N815

    def __init__(self, *args, organizations: list[tuple[str, str]], plan_names: list[str], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["organization"].choices = organizations
        self.fields["planName"].choices = [(name, name) for name in plan_names]


class SubscribeForm(forms.Form):
    """Hosted Email 2007::Subscribe, then ::CreateSMTPDomain, in one call."""

    organization = forms.ChoiceField(label="Customer")
    planName = forms.ChoiceField(label="Organization plan")  # noqa: N815
    domainName = forms.CharField(label="SMTP domain", max_length=253)  # noqa: N815

    def __init__(self, *args, organizations: list[tuple[str, str]], plan_names: list[str], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["organization"].choices = organizations
        self.fields["planName"].choices = [(name, name) for name in plan_names]


class UnsubscribeForm(forms.Form):
    """Hosted Email 2007::Unsubscribe of one organization."""

    organization = forms.CharField(widget=forms.HiddenInput)


class ModifyUserPlanForm(forms.Form):
    """Hosted Email 2007::ModifyUserPlan of one user."""

    user = forms.CharField(widget=forms.HiddenInput)
    planName = forms.ChoiceField(label="User plan")  # noqa: N815

    def __init__(self, *args, plan_names: list[str], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["planName"].choices = [("", "Choose a plan"), *((name, name) for name in plan_names)]
