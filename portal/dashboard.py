"""The home dashboard: what a caller's scope holds, how it is used, billed and lately changed.

Every figure comes from a selector already filtered by the caller's scope (the directory for
organizations and users, the e-mail service, billing, the audit records).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings
from django.db.models import Count, Sum
from django.db.models.functions import TruncMonth
from django.utils import timezone

from billing.models import Invoice
from billing.money import money_round
from billing.selectors import invoice_list
from email_service.models import UserPlanAssignment
from email_service.selectors import subscription_list, subscription_usage
from hosting.selectors import organization_list, user_list
from portal.directory import default_gateway, dn_depth_below
from portal.engine import CUSTOMER_ADMINISTRATORS, DOMAIN_ADMINS, ORG_CREATORS, Caller
from portal.navigation import object_url
from portal.selectors import audit_changes_in_scope

ORGANIZATION_FILTER = "(&(objectClass=organizationalUnit)(objectClass=hostingOrganization))"
USER_FILTER = "(objectClass=inetOrgPerson)"
CHART_MONTHS = 12


@dataclass
class Chart:
    """Monthly billed amounts of one currency, ready to draw as bars."""

    currency: str
    months: list[tuple[str, Decimal]]
    bars: list[dict] = field(default_factory=list)
    width: int = 600
    height: int = 200

    def __post_init__(self) -> None:
        top = max((amount for _, amount in self.months), default=Decimal(0)) or Decimal(1)
        slot = self.width / max(len(self.months), 1)
        plot = self.height - 40
        for index, (label, amount) in enumerate(self.months):
            bar_height = int(plot * amount / top)
            self.bars.append(
                {
                    "x": int(index * slot + slot * 0.15),
                    "y": 20 + plot - bar_height,
                    "w": int(slot * 0.7),
                    "h": bar_height,
                    "label": label,
                    "amount": amount,
                    "label_x": int(index * slot + slot / 2),
                }
            )


def _month_starts(today: dt.date, count: int) -> list[dt.date]:
    months, year, month = [], today.year, today.month
    for _ in range(count):
        months.append(dt.date(year, month, 1))
        month -= 1
        if month == 0:
            year, month = year - 1, 12
    return list(reversed(months))


def billed_by_month(caller: Caller, today: dt.date | None = None) -> list[Chart]:
    """The amounts invoiced in the caller's scope in each of the last twelve months, per currency."""
    today = today or timezone.localdate()
    months = _month_starts(today, CHART_MONTHS)
    rows = (
        invoice_list(caller)
        .filter(issued_on__gte=months[0])
        .annotate(month=TruncMonth("issued_on"))
        .values("month", "currency")
        .annotate(total=Sum("total"))
    )
    totals: dict[str, dict[dt.date, Decimal]] = {}
    for row in rows:
        month = row["month"].date() if isinstance(row["month"], dt.datetime) else row["month"]
        totals.setdefault(row["currency"], {})[month] = money_round(Decimal(row["total"]), row["currency"])
    return [
        Chart(currency, [(month.strftime("%b %Y"), by_month.get(month, Decimal("0.00"))) for month in months])
        for currency, by_month in sorted(totals.items())
    ]


def dashboard(caller: Caller) -> dict:
    """Everything the home page shows for ``caller``."""
    if caller.scope_dn is None:
        return {"empty": True}
    gateway = default_gateway()
    subscriptions = list(subscription_list(caller))
    usage = sorted(
        ((subscription, subscription_usage(subscription)) for subscription in subscriptions),
        key=lambda pair: -pair[1].mailboxes_percent,
    )
    open_invoices = invoice_list(caller).filter(status=Invoice.Status.OPEN)
    open_totals = [
        {**row, "amount": money_round(Decimal(row["amount"]), row["currency"])}
        for row in open_invoices.values("currency").annotate(count=Count("id"), amount=Sum("total"))
    ]
    assignments = UserPlanAssignment.objects.filter(subscription__in=subscriptions).count()
    data = {
        "counts": {
            "Organizations": gateway.count(caller.scope_dn, ORGANIZATION_FILTER),
            "Users": gateway.count(caller.scope_dn, USER_FILTER),
            "Subscriptions": len(subscriptions),
            "Mailboxes": assignments,
        },
        "usage": usage[:10],
        "open_invoices": open_totals,
        "changes": audit_changes_in_scope(caller, limit=10),
    }
    hosting_root = settings.DIRECTORY["HOSTING_ROOT"]
    if DOMAIN_ADMINS in caller.roles:
        data["resellers"] = [
            (o, object_url(o.entry))
            for o in organization_list(caller)
            if dn_depth_below(o.entry.dn, hosting_root) == 1
        ]
        data["charts"] = billed_by_month(caller)
    elif caller.has_role(ORG_CREATORS):
        data["customers"] = [
            (o, object_url(o.entry))
            for o in organization_list(caller)
            if dn_depth_below(o.entry.dn, hosting_root) == 2
        ]
        data["charts"] = billed_by_month(caller)
    elif caller.has_role(CUSTOMER_ADMINISTRATORS):
        data["users"] = [(u, object_url(u.entry)) for u in user_list(caller, parent=caller.scope_dn)]
    return data
