"""What billing adds to the shared pages: open invoices and the monthly billed amounts on the
home page, the billing accounts of an organization on its page, the billing standing of a user on
its page, and its menu entries."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count, Sum
from django.db.models.functions import TruncMonth
from django.utils import timezone

from billing import money
from billing.ledger import accounts_ledger
from billing.models import Invoice, UserPackage
from billing.money import money_round
from billing.selectors import account_list, invoice_list, organization_account_list, user_account_list
from hosting.selectors import customer_record_list
from portal.contributions import (
    MenuEntry,
    Panel,
    dashboard_panel_register,
    menu_entry_register,
    object_panel_register,
)
from portal.directory import dn_key
from portal.engine import BILLING_ADMINS, DOMAIN_ADMINS, ORG_CREATORS, Caller

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


def invoices_panel(request, caller: Caller, _obj) -> dict:
    """The open invoices in the caller's scope, per currency."""
    open_invoices = invoice_list(caller).filter(status=Invoice.Status.OPEN)
    return {
        "open_invoices": [
            {**row, "amount": money_round(Decimal(row["amount"]), row["currency"])}
            for row in open_invoices.values("currency").annotate(count=Count("id"), amount=Sum("total"))
        ],
        "suspended": list(
            account_list(caller).filter(status="Suspended").order_by("-status_changed_on")[:20]
        ),
    }


def chart_panel(request, caller: Caller, _obj) -> dict | None:
    """The monthly billed amounts, for staff and resellers."""
    if DOMAIN_ADMINS in caller.roles or caller.has_role(ORG_CREATORS):
        return {"charts": billed_by_month(caller)}
    return None


def organization_panel(request, caller: Caller, org) -> dict | None:
    """The organization's billing accounts (shown where it has a Plans database record or an
    account the caller reaches)."""
    accounts = organization_account_list(caller, org.dn)
    if not accounts and not customer_record_list(caller).filter(dn_key=dn_key(org.dn)).exists():
        return None
    return {"accounts": accounts}


def user_panel(request, caller: Caller, user) -> dict | None:
    """The billing standing of the accounts that bill a user (its own, or its organization's):
    status (with the reason and amount due when not Enabled, and a scheduled change), balance, due
    now, next bill date, and a link to the account page. Left out when the caller sees none of
    them (the account page's scope rule, ``billing.selectors``)."""
    accounts = user_account_list(caller, user.dn)
    if not accounts:
        return None
    today = money.today()
    ledgers = accounts_ledger(accounts, as_of=today)
    next_dates: dict[int, dt.date] = {}
    for account_id, day in (
        UserPackage.objects.filter(account__in=accounts, active=True, status="Active")
        .values_list("account_id", "next_bill_date")
        .order_by("next_bill_date")
    ):
        next_dates.setdefault(account_id, day)
    return {
        "accounts": [
            {
                "account": account,
                "balance": ledgers[account.pk].balance,
                "due": ledgers[account.pk].due,
                "next_bill_date": next_dates.get(account.pk),
            }
            for account in accounts
        ]
    }


def register() -> None:
    """Register billing's contributions (from ``BillingConfig.ready``)."""
    dashboard_panel_register(
        Panel("billing-invoices", "billing/_dashboard_invoices.html", invoices_panel, order=30)
    )
    dashboard_panel_register(Panel("billing-chart", "billing/_dashboard_chart.html", chart_panel, order=40))
    object_panel_register(
        "organization", Panel("billing", "billing/_organization_panel.html", organization_panel, order=30)
    )
    object_panel_register("user", Panel("billing", "billing/_user_panel.html", user_panel, order=30))
    menu_entry_register(
        MenuEntry("Billing", "billing:index", "billing", lambda c, _s: c.read_scope_dn is not None, 50)
    )
    menu_entry_register(
        MenuEntry("Catalogue", "billing:catalogue", "catalogue", lambda c, _s: c.has_role(BILLING_ADMINS), 51)
    )
    menu_entry_register(
        MenuEntry("Bill runs", "billing:bill-run", "bill-run", lambda c, _s: c.has_role(BILLING_ADMINS), 52)
    )
    menu_entry_register(
        MenuEntry("Dunning", "billing:dunning", "dunning", lambda c, _s: c.has_role(BILLING_ADMINS), 53)
    )
