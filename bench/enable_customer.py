"""EnableCustomerForPlans through the engine and through POST /mps/, against the raw LDAP floor.

The floor is what the procedure cannot avoid: one search and one add on one python-ldap connection
to the same slapd. Each measured call registers a different user, so no call is a repeat.
Usage: ``python bench/enable_customer.py [--calls N]``.
"""

from __future__ import annotations

import argparse
import base64
import statistics
import time

from bench.common import portal_environment, table

ALPINE = "OU=AlpineSkiHouse,OU=ConsolidatedMessenger,OU=Hosting,DC=fabrikam,DC=com"
DC = "AD01.fabrikam.com"
REQUEST = """<request><procedure>
<execute namespace="MPS Import" procedure="EnableCustomerForPlans" impersonate="1"><executeData><path>LDAP://{dn}</path><preferredDomainController>AD01.fabrikam.com</preferredDomainController>
</executeData></execute></procedure></request>"""


def _users(conn, prefix: str, count: int) -> list[str]:
    dns = []
    for i in range(count):
        dn = f"CN={prefix}{i},{ALPINE}"
        conn.add_s(
            dn,
            [
                ("objectClass", [b"inetOrgPerson", b"hostingUser"]),
                ("cn", [f"{prefix}{i}".encode()]),
                ("sn", [b"Bench"]),
                ("hostingProcessedBy", [b"Managed Active Directory::CreateUser"]),
            ],
        )
        dns.append(dn)
    return dns


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--calls", type=int, default=500)
    args = parser.parse_args(argv)
    n = args.calls
    with portal_environment() as server:
        import ldap
        from django.contrib.auth import authenticate
        from django.test import Client

        from portal.engine import Caller, run

        conn = server.connect()
        engine_users = _users(conn, "engine", n)
        door_users = _users(conn, "door", n)
        caller = Caller.from_user(authenticate(None, username="administrator", password="Passw0rd!"))
        client = Client()
        auth = "Basic " + base64.b64encode(b"administrator:Passw0rd!").decode()
        floor, engine, door = [], [], []
        # Interleaved, so that whatever else the machine does weighs on all three alike.
        for i in range(n):
            start = time.perf_counter()
            conn.search_s(ALPINE, ldap.SCOPE_BASE, "(objectClass=*)")
            conn.add_s(
                f"CN=floor{i},{ALPINE}",
                [("objectClass", [b"inetOrgPerson"]), ("cn", [f"floor{i}".encode()]), ("sn", [b"x"])],
            )
            floor.append(time.perf_counter() - start)

            data = {"path": f"LDAP://{engine_users[i]}", "preferredDomainController": DC}
            start = time.perf_counter()
            run(caller, "MPS Import::EnableCustomerForPlans", data, door="bench")
            engine.append(time.perf_counter() - start)

            body = REQUEST.format(dn=door_users[i]).encode()
            start = time.perf_counter()
            response = client.post("/mps/", data=body, content_type="text/xml", HTTP_AUTHORIZATION=auth)
            door.append(time.perf_counter() - start)
            assert response.status_code == 200, response.content
        conn.unbind_s()

    def ms(values: list[float]) -> float:
        return statistics.median(values) * 1000

    results = {"floor_ms": ms(floor), "engine_ms": ms(engine), "mps_ms": ms(door)}
    rows = [
        ("raw python-ldap search + add (floor)", f"{results['floor_ms']:.2f}", "—"),
        (
            "EnableCustomerForPlans via engine",
            f"{results['engine_ms']:.2f}",
            f"{results['engine_ms'] - results['floor_ms']:+.2f}",
        ),
        (
            "EnableCustomerForPlans via POST /mps/",
            f"{results['mps_ms']:.2f}",
            f"{results['mps_ms'] - results['floor_ms']:+.2f}",
        ),
    ]
    print(f"\nEnableCustomerForPlans, {n} calls each, median per call")
    print(table(rows, ("path", "ms per call", "over the floor (ms)")))
    return results


if __name__ == "__main__":
    main()
