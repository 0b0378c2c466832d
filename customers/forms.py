"""Forms of the provisioning pages: the server checks them, then the engine checks again."""

from __future__ import annotations

from django import forms

from hosting.policy import NAME_MAX, PASSWORD_MAX

USER_KINDS = (
    ("BusinessUser", "Business user (registered in the Plans database)"),
    ("ConsumerUser", "Consumer e-mail user (registered in the Plans database)"),
    ("", "Directory user only"),
)


class OrganizationForm(forms.Form):
    """A new organization: a customer under a reseller, or (DomainAdmins) a reseller."""

    parent = forms.ChoiceField(label="Create in")
    name = forms.CharField(max_length=NAME_MAX)
    description = forms.CharField(max_length=1024, required=False)

    def __init__(self, *args, parents: list[tuple[str, str]], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["parent"].choices = parents


class UserForm(forms.Form):
    """A new user of one organization."""

    name = forms.CharField(max_length=NAME_MAX, help_text="Also the logon name.")
    userPrincipalName = forms.CharField(  # noqa: N815 - the procedure's argument name
        label="User principal name", max_length=256, help_text="name@domain.com"
    )
    password = forms.CharField(
        widget=forms.PasswordInput(render_value=False),
        max_length=PASSWORD_MAX,
        help_text="At least 8 characters, three of: lower-case, upper-case, digits, other; "
        "not containing the name.",
    )
    givenName = forms.CharField(label="Given name", max_length=64, required=False)  # noqa: N815
    surname = forms.CharField(max_length=64, required=False)
    displayName = forms.CharField(label="Display name", max_length=256, required=False)  # noqa: N815
    mail = forms.EmailField(label="E-mail address", max_length=256, required=False)
    customerTypeName = forms.ChoiceField(label="Kind", choices=USER_KINDS, required=False)  # noqa: N815


class DeleteOrganizationForm(forms.Form):
    """Confirmation of a delete."""

    recursive = forms.BooleanField(label="Also delete every user and organization it holds", required=False)


class ImportForm(forms.Form):
    """A CSV or LDIF file of users."""

    file = forms.FileField(label="CSV or LDIF file")
