"""What page tests share: reading a page's breadcrumb trail, and an invoice to show."""

from __future__ import annotations

import re


def crumbs(page: str) -> list[str]:
    """The labels of the page's breadcrumb trail, in order."""
    found = re.search(r'<nav aria-label="Breadcrumb"[^>]*>(.*?)</nav>', page, re.S)
    if found is None:
        return []
    return re.findall(r'<li>(?:<a href="[^"]*">|<span aria-current="page">)([^<]*)<', found.group(1))


def invoice_billed_now(caller, username: str = "alpineskihouse"):
    """Package 1 added to the account ``username`` (demo data loaded) and invoiced at once, the
    card not charged; returns the open invoice."""
    from billing.models import Invoice
    from portal.engine import run

    run(
        caller("administrator"),
        "Billing::AddPackageToUserWithOptionalServices",
        {
            "username": username,
            "packageID": 1,
            "chargeCreditCard": False,
            "IsChildUser": False,
            "NextBillDate": "0001-01-01T00:00:00",
            "billNow": True,
            "xmlOptionalServices": "",
            "xmlServiceDiscounts": "",
        },
        door="test",
    )
    return Invoice.objects.get(account__username=username)
