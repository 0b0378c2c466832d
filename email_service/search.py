"""SMTP domains in the search box."""

from __future__ import annotations

from urllib.parse import urlencode

from django.urls import reverse

from email_service.selectors import smtp_domain_list
from portal.engine import Caller
from portal.search import MAX_HITS, SearchHit, search_provider


@search_provider("SMTP domains", order=30)
def smtp_domain_search(caller: Caller, text: str) -> list[SearchHit]:
    """SMTP domains whose name holds ``text``, with the organization that holds them."""
    hits = []
    for domain in (
        smtp_domain_list(caller).filter(name__icontains=text).select_related("customer_record")[:MAX_HITS]
    ):
        record = domain.customer_record
        url = reverse("email_service:organization") + "?" + urlencode({"organization": record.dn})
        hits.append(SearchHit(domain.name, f"SMTP domain of {record.name}", url))
    return hits
