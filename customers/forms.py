"""Forms of the provisioning pages: the server checks them, then the engine checks again."""

from __future__ import annotations

from django import forms

from hosting.policy import NAME_MAX, PASSWORD_MAX
from portal.pages import ProcedureForm

USER_KINDS = (
    ("BusinessUser", "Business user (registered in the Plans database)"),
    ("ConsumerUser", "Consumer e-mail user (registered in the Plans database)"),
    ("", "Directory user only"),
)


class OrganizationForm(ProcedureForm):
    """A new organization: a customer under a reseller (``HostedExchange::CreateBusinessOrganization``)
    or, in the hosting organization, a reseller (``Managed Active Directory::CreateOrganization``)."""

    procedure = "HostedExchange::CreateBusinessOrganization"
    field_map = {"parentPath": "parent"}
    success = "The organization {name} was created."

    parent = forms.ChoiceField(label="Create in")
    name = forms.CharField(max_length=NAME_MAX)
    description = forms.CharField(max_length=1024, required=False)

    def __init__(self, *args, parents: list[tuple[str, str]], resellers_in: list[str], **kwargs) -> None:
        """``resellers_in``: the parents in which a new organization is a reseller."""
        super().__init__(*args, **kwargs)
        self.fields["parent"].choices = parents
        self.resellers_in = resellers_in

    def execute_data(self) -> dict:
        data = self.cleaned_data
        args = {"parentPath": data["parent"], "name": data["name"], "description": data["description"]}
        if data["parent"] in self.resellers_in:
            self.procedure = "Managed Active Directory::CreateOrganization"
            args["type"] = "Reseller"
        return args


class UserForm(ProcedureForm):
    """A new user of one organization: a business or consumer user registered in the Plans database
    (``HostedExchange::CreateBusinessUser`` / ``CreateConsumerUser``) or a directory user only
    (``Managed Active Directory::CreateUser``)."""

    procedure = "Managed Active Directory::CreateUser"
    field_map = {"organization": None}
    success = "The user {name} was created."

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

    def __init__(self, *args, organization: str, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.organization = organization

    def execute_data(self) -> dict:
        data = dict(self.cleaned_data)
        kind = data.pop("customerTypeName")
        self.procedure = {
            "BusinessUser": "HostedExchange::CreateBusinessUser",
            "ConsumerUser": "HostedExchange::CreateConsumerUser",
        }.get(kind, "Managed Active Directory::CreateUser")
        return {**{key: value for key, value in data.items() if value}, "organization": self.organization}


class DeleteOrganizationForm(ProcedureForm):
    """Confirmation of ``Managed Active Directory::DeleteOrganization``."""

    procedure = "Managed Active Directory::DeleteOrganization"
    success = "The organization was deleted."

    recursive = forms.BooleanField(label="Also delete every user and organization it holds", required=False)

    def __init__(self, *args, path: str, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.path = path

    def execute_data(self) -> dict:
        return {"path": self.path, "recursive": "1" if self.cleaned_data["recursive"] else "0"}


class PathForm(ProcedureForm):
    """A procedure on one object, with nothing to type: confirmed deletes (``DeleteUser``) and
    one-click actions (``EnableOrganizationForHosting``, ``GroupAdd``/``GroupRemove``)."""

    def __init__(self, *args, procedure: str, data: dict, success: str = "", **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.procedure = procedure
        self.data_given = data
        self.success = success

    def execute_data(self) -> dict:
        return dict(self.data_given)


class ImportForm(forms.Form):
    """A CSV or LDIF file of users."""

    file = forms.FileField(label="CSV or LDIF file")
