"""Billing accounts in the search box."""

from __future__ import annotations

from django.urls import reverse

from billing.selectors import account_list
from portal.engine import Caller
from portal.search import MAX_HITS, SearchHit, search_provider


@search_provider("Billing accounts", order=40)
def account_search(caller: Caller, text: str) -> list[SearchHit]:
    """Billing accounts whose user name holds ``text``."""
    return [
        SearchHit(
            account.username,
            f"Billing account in {account.currency}",
            reverse("billing:account", args=[account.username]),
        )
        for account in account_list(caller).filter(username__icontains=text)[:MAX_HITS]
    ]
