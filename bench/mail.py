"""Mail: time from CreateMailbox's answer to the first message delivered, and SMTP deliveries per
second to provisioned mailboxes against the same Postfix and Dovecot with static maps.

A private slapd with the demo data and a private Postfix and Dovecot reading it (as `make run`).
1. ``--mailboxes`` users get a mailbox through the engine, one at a time; right after each
   answer one message is sent over SMTP to the new address, and the time until the message file
   is in the mailbox's Maildir is taken.
2. ``--messages`` messages are sent to those mailboxes over ``--connections`` parallel SMTP
   sessions, and the time until every one is in its Maildir gives deliveries per second. The same
   is done against a second Postfix and Dovecot, running alongside, whose maps are static files
   holding the same mailboxes (no directory lookups), in alternating batches so that both see the
   same load: the difference is the cost of reading the directory.
Usage: ``python -m bench.mail [--mailboxes N] [--messages N] [--connections N]``.
"""

from __future__ import annotations

import argparse
import os
import smtplib
import statistics
import threading
import time
from pathlib import Path

from bench.common import portal_environment, table

HOSTING = "OU=Hosting,DC=fabrikam,DC=com"
ALPINE = f"OU=AlpineSkiHouse,OU=ConsolidatedMessenger,{HOSTING}"
DC = "AD01.fabrikam.com"
MESSAGE = b"From: bench@example.org\r\nSubject: bench\r\n\r\n" + b"x" * 2000 + b"\r\n"


def _users(conn, count: int) -> list[tuple[str, str]]:
    """``count`` users in AlpineSkiHouse, as (DN, address)."""
    out = []
    for i in range(count):
        dn = f"CN=bench{i},{ALPINE}"
        conn.add_s(
            dn,
            [
                ("objectClass", [b"inetOrgPerson", b"hostingUser"]),
                ("cn", [f"bench{i}".encode()]),
                ("sn", [b"Bench"]),
                ("userPrincipalName", [f"bench{i}@alpineskihouse.com".encode()]),
                ("hostingProcessedBy", [b"Managed Active Directory::CreateUser"]),
            ],
        )
        out.append((dn, f"bench{i}@alpineskihouse.com"))
    return out


def _delivered(maildir: Path) -> int:
    try:
        return len(os.listdir(maildir / "Maildir" / "new"))
    except FileNotFoundError:
        return 0


def _wait_delivered(maildirs: list[Path], total: int, timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while sum(_delivered(m) for m in maildirs) < total:
        if time.monotonic() > deadline:
            raise TimeoutError(f"only {sum(_delivered(m) for m in maildirs)} of {total} delivered")
        time.sleep(0.002)


def _send_many(port: int, addresses: list[str], messages: int, connections: int) -> float:
    """Send ``messages`` messages round-robin to ``addresses`` over parallel sessions; seconds taken
    until the last SMTP answer."""
    per = [list(range(i, messages, connections)) for i in range(connections)]

    def worker(indexes: list[int]) -> None:
        with smtplib.SMTP("127.0.0.1", port, timeout=30) as smtp:
            for index in indexes:
                smtp.sendmail("bench@example.org", [addresses[index % len(addresses)]], MESSAGE)

    threads = [threading.Thread(target=worker, args=(chunk,)) for chunk in per]
    start = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return start


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--mailboxes", type=int, default=40)
    parser.add_argument("--messages", type=int, default=1000)
    parser.add_argument("--connections", type=int, default=4)
    args = parser.parse_args(argv)
    with portal_environment() as server:
        from django.conf import settings
        from django.contrib.auth import authenticate
        from django.core.management import call_command

        from portal.directory import get_gateway
        from portal.directory.server import ROOT_DN, ROOT_PW
        from portal.engine import Caller, run
        from portal.mailservers import DirectoryAccess, MailServers, StaticMailbox

        call_command("load_demo", verbosity=0)
        conn = server.connect()
        users = _users(conn, args.mailboxes)
        conn.unbind_s()
        access = DirectoryAccess(server.ldap_uri.rstrip("/"), ROOT_DN, ROOT_PW, HOSTING)
        directory_servers = MailServers(access)
        directory_servers.start()
        settings.MAIL["DOVECOT_CONFIG"] = str(directory_servers.dovecot_config)
        caller = Caller.from_user(authenticate(None, username="administrator", password="Passw0rd!"))
        gateway = get_gateway(DC)
        first_delivery = []
        homes = []
        try:
            for dn, address in users:
                data = {
                    "user": f"LDAP://{dn}",
                    "planName": "Standard Mailbox",
                    "alias": address.partition("@")[0],
                    "emailAddresses": {"value": [address]},
                    "preferredDomainController": DC,
                }
                run(caller, "Hosted Email 2007::CreateMailbox", data, door="bench")
                answered = time.perf_counter()
                with smtplib.SMTP("127.0.0.1", directory_servers.smtp_port, timeout=30) as smtp:
                    smtp.sendmail("bench@example.org", [address], MESSAGE)
                home = directory_servers.mailboxes / str(gateway.get(dn).guid)
                _wait_delivered([home], 1)
                first_delivery.append(time.perf_counter() - answered)
                homes.append(home)
            addresses = [address for _, address in users]
            static = [
                StaticMailbox((address,), address, f"static-{i}", 2048 * 1024)
                for i, (_, address) in enumerate(users)
            ]
            static_servers = MailServers(access, static=static)
            static_servers.start()
            try:
                static_homes = [static_servers.mailboxes / m.home_name for m in static]
                # both pairs run side by side; batches alternate so that both see the same load
                spent = {"directory": 0.0, "static": 0.0}
                sent = {"directory": len(homes), "static": 0}
                rounds = 4
                for _ in range(rounds):
                    for kind, port, targets in (
                        ("directory", directory_servers.smtp_port, homes),
                        ("static", static_servers.smtp_port, static_homes),
                    ):
                        start = _send_many(port, addresses, args.messages // rounds, args.connections)
                        sent[kind] += args.messages // rounds
                        _wait_delivered(targets, sent[kind])
                        spent[kind] += time.perf_counter() - start
            finally:
                static_servers.stop()
        finally:
            directory_servers.stop()
        done = (args.messages // rounds) * rounds
        directory_rate = done / spent["directory"]
        static_rate = done / spent["static"]

    ms = sorted(value * 1000 for value in first_delivery)
    results = {
        "first_delivery_median_ms": statistics.median(ms),
        "first_delivery_max_ms": ms[-1],
        "directory_per_s": directory_rate,
        "static_per_s": static_rate,
    }
    print(f"\nCreateMailbox's answer to the first message in the Maildir, {len(ms)} mailboxes")
    print(
        table(
            [(f"{results['first_delivery_median_ms']:.0f}", f"{results['first_delivery_max_ms']:.0f}")],
            ("median ms", "max ms"),
        )
    )
    print(
        f"\nSMTP deliveries to {len(users)} mailboxes, {args.messages} messages "
        f"over {args.connections} sessions"
    )
    print(
        table(
            [
                ("directory lookups (LDAP)", f"{directory_rate:.0f}", f"{directory_rate / static_rate:.0%}"),
                ("static maps (floor)", f"{static_rate:.0f}", "100%"),
            ],
            ("maps", "deliveries/s", "of the static rate"),
        )
    )
    return results


if __name__ == "__main__":
    main()
