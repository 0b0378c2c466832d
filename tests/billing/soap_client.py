"""A requests adapter that sends HTTP to Django's test client, so that zeep (a real SOAP client)
talks to the portal in-process: ``zeep_client(client)``."""

from __future__ import annotations

import io
from urllib.parse import urlsplit

import requests
from requests.adapters import BaseAdapter
from requests.structures import CaseInsensitiveDict

BASE = "http://testserver"
WSDL_URL = f"{BASE}/adminportal/webservice.asmx?WSDL"


class DjangoClientAdapter(BaseAdapter):
    """Turns a ``requests`` request into a call of Django's test client and its answer back."""

    def __init__(self, client) -> None:
        super().__init__()
        self.client = client

    def send(self, request, stream=False, timeout=None, verify=True, cert=None, proxies=None):
        url = urlsplit(request.url)
        path = url.path + (f"?{url.query}" if url.query else "")
        headers = {
            "HTTP_" + name.upper().replace("-", "_"): value
            for name, value in request.headers.items()
            if name.lower() not in ("content-type", "content-length", "host")
        }
        body = request.body or b""
        if isinstance(body, str):
            body = body.encode("utf-8")
        if request.method == "GET":
            answer = self.client.get(path, **headers)
        else:
            answer = self.client.generic(
                request.method,
                path,
                data=body,
                content_type=request.headers.get("Content-Type", ""),
                **headers,
            )
        response = requests.Response()
        response.status_code = answer.status_code
        response.raw = io.BytesIO(answer.content)
        response.headers = CaseInsensitiveDict(dict(answer.items()))
        response.url = request.url
        response.request = request
        response.encoding = "utf-8"
        return response

    def close(self) -> None:
        pass


def zeep_client(client, *, soap12: bool = False):
    """A zeep client of the portal's EngageIP web service, through Django's test client."""
    import zeep
    from zeep.transports import Transport

    session = requests.Session()
    session.mount(BASE, DjangoClientAdapter(client))
    soap = zeep.Client(WSDL_URL, transport=Transport(session=session))
    if soap12:
        return soap.bind("WebService", "WebServiceSoap12")
    return soap.service
