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
    """A new organization: a customer under a reseller, with its SMTP domain
    (``Hosted Exchange::CreateBusinessOrganization``) or, in the hosting organization, a reseller
    (``Managed Active Directory::CreateOrganization``)."""

    procedure = "Hosted Exchange::CreateBusinessOrganization"
    success = "The organization {name} was created."

    container = forms.ChoiceField(label="Create in")
    name = forms.CharField(max_length=NAME_MAX)
    SMTPDomain = forms.CharField(
        label="SMTP domain",
        max_length=253,
        required=False,
        help_text="A new customer's mail domain, such as alpineskihouse.com (not for a reseller).",
    )
    description = forms.CharField(max_length=1024, required=False)

    def __init__(self, *args, parents: list[tuple[str, str]], resellers_in: list[str], **kwargs) -> None:
        """``resellers_in``: the containers in which a new organization is a reseller."""
        super().__init__(*args, **kwargs)
        self.fields["container"].choices = parents
        self.resellers_in = resellers_in

    def clean(self) -> dict:
        data = super().clean()
        if (
            data.get("container")
            and data["container"] not in self.resellers_in
            and not data.get("SMTPDomain")
        ):
            self.add_error("SMTPDomain", "A customer needs its SMTP domain.")
        return data

    def execute_data(self) -> dict:
        data = self.cleaned_data
        args = {"container": data["container"], "name": data["name"], "description": data["description"]}
        if data["container"] in self.resellers_in:
            self.procedure = "Managed Active Directory::CreateOrganization"
            args["policyName"] = "reseller"
        else:
            args["SMTPDomain"] = data["SMTPDomain"]
        return args


class UserForm(ProcedureForm):
    """A new user of one organization: a business or consumer user registered in the Plans database
    (``Hosted Exchange::CreateBusinessUser`` / ``CreateConsumerUser``) or a directory user only
    (``Managed Active Directory::CreateUser``)."""

    procedure = "Managed Active Directory::CreateUser"
    field_map = {"container": None, "properties": "mail"}
    success = "The user {userPrincipalName} was created."

    userPrincipalName = forms.CharField(  # noqa: N815 - the procedure's argument name
        label="User principal name",
        max_length=256,
        help_text="name@domain.com: the logon name, and the user's name in the directory.",
    )
    sAMAccountName = forms.CharField(  # noqa: N815
        label="Short logon name",
        max_length=20,
        required=False,
        help_text="At most 20 characters; by default the part of the user principal name before @.",
    )
    newPassword = forms.CharField(  # noqa: N815
        label="Password",
        widget=forms.PasswordInput(render_value=False),
        max_length=PASSWORD_MAX,
        help_text="At least 8 characters, three of: lower-case, upper-case, digits, other; "
        "not containing the logon name.",
    )
    givenName = forms.CharField(label="Given name", max_length=64, required=False)  # noqa: N815
    sn = forms.CharField(label="Surname", max_length=64, required=False)
    displayName = forms.CharField(label="Display name", max_length=256, required=False)  # noqa: N815
    mail = forms.EmailField(label="E-mail address", max_length=256, required=False)
    customerTypeName = forms.ChoiceField(label="Kind", choices=USER_KINDS, required=False)  # noqa: N815

    def __init__(self, *args, organization: str, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.organization = organization

    def execute_data(self) -> dict:
        data = dict(self.cleaned_data)
        kind = data.pop("customerTypeName")
        mail = data.pop("mail")
        self.procedure = {
            "BusinessUser": "Hosted Exchange::CreateBusinessUser",
            "ConsumerUser": "Hosted Exchange::CreateConsumerUser",
        }.get(kind, "Managed Active Directory::CreateUser")
        args = {**{key: value for key, value in data.items() if value}, "container": self.organization}
        if mail:
            # the page's e-mail address is a directory property of the user
            args["properties"] = {"property": {"@name": "mail", "value": mail}}
        if kind == "BusinessUser":
            args["isAdmin"] = "false"
        return args


class DeleteOrganizationForm(ProcedureForm):
    """Confirmation of ``Managed Active Directory::DeleteOrganization``."""

    procedure = "Managed Active Directory::DeleteOrganization"
    success = "The organization was deleted."

    recursive = forms.BooleanField(label="Also delete every user and organization it holds", required=False)

    def __init__(self, *args, path: str, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.path = path

    def execute_data(self) -> dict:
        return {"org": self.path, "recursive": "1" if self.cleaned_data["recursive"] else "0"}


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
