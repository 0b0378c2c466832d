"""``manage.py role_grant USER ROLE --as ADMIN``: give a portal account one of the portal's own
roles (BillingAdmins, staff, superuser) through ``Portal::RoleGrant``, audited."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from portal.engine import Caller, run
from portal.errors import PortalError
from portal.roles import PORTAL_ROLES


class Command(BaseCommand):
    help = (
        "Give a portal account one of the portal's own roles ("
        + ", ".join(PORTAL_ROLES)
        + ") through Portal::RoleGrant, as a DomainAdmins account; audited like every call."
    )
    procedure = "Portal::RoleGrant"
    changed_text = "{user} now holds {role}."
    unchanged_text = "{user} already holds {role}; nothing changed."

    def add_arguments(self, parser) -> None:
        parser.add_argument("user", help="The portal account's username.")
        parser.add_argument("role", help=", ".join(PORTAL_ROLES) + ".")
        parser.add_argument(
            "--as",
            dest="username",
            required=True,
            help="The portal account the call runs as (DomainAdmins; a directory user must have logged "
            "in once).",
        )

    def handle(self, *args, **options) -> None:
        admin = get_user_model().objects.filter(username__iexact=options["username"], is_active=True).first()
        if admin is None:
            raise CommandError(f"No active portal account {options['username']!r} (log in once first).")
        try:
            result = run(
                Caller.from_user(admin),
                self.procedure,
                {"user": options["user"], "role": options["role"]},
                door="command",
            )
        except PortalError as err:
            raise CommandError(err.text) from err
        text = self.changed_text if result["changed"] else self.unchanged_text
        self.stdout.write(text.format(user=result["user"], role=result["role"]))
