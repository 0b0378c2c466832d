"""The payment gateway interface, and the sandbox gateway the project ships.

A gateway turns a card number into a token once (:meth:`PaymentGateway.tokenize`) and charges
that token later (:meth:`PaymentGateway.charge`). The portal stores the token and the last four
digits, never the number. ``charge`` takes an idempotency key: the same key must never charge
twice, so an attempt whose answer was lost can be repeated safely.

The sandbox approves and declines the way the public test cards of card processors do:
``4242424242424242`` (and the other "success" numbers) approve, ``4000000000000002`` declines,
``4000000000009995`` declines for insufficient funds, and so on. Its tokens name the kind of
test card (``tok_sandbox_visa``, ``tok_sandbox_chargeDeclined``), never the number; its answers
depend only on the token and the key, so they are the same each time (which is what makes it
idempotent). It never talks to the network.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from decimal import Decimal
from typing import Protocol

from django.conf import settings
from django.utils.module_loading import import_string

from portal.errors import InvalidArgument


@dataclass(frozen=True)
class CardToken:
    """What the portal keeps of a card: the gateway's token, the brand and the last four digits."""

    token: str
    brand: str
    last4: str


@dataclass(frozen=True)
class ChargeResult:
    """A gateway's answer to a charge."""

    approved: bool
    reference: str
    message: str


class PaymentGateway(Protocol):
    """What the portal needs of a payment gateway."""

    name: str

    def tokenize(self, number: str) -> CardToken:
        """A token for the card ``number``; raises :class:`InvalidArgument` for a card it refuses."""

    def charge(self, *, token: str, amount: Decimal, currency: str, idempotency_key: str) -> ChargeResult:
        """Charge ``amount`` to the card of ``token``; the same ``idempotency_key`` charges once."""


# number -> (token name, brand, approved, message)
SANDBOX_CARDS: dict[str, tuple[str, str, bool, str]] = {
    "4242424242424242": ("visa", "Visa", True, "Approved"),
    "4000056655665556": ("visa_debit", "Visa", True, "Approved"),
    "5555555555554444": ("mastercard", "Mastercard", True, "Approved"),
    "378282246310005": ("amex", "American Express", True, "Approved"),
    "4000000000000002": ("chargeDeclined", "Visa", False, "Your card was declined."),
    "4000000000009995": (
        "chargeDeclinedInsufficientFunds",
        "Visa",
        False,
        "Your card has insufficient funds.",
    ),
    "4000000000009987": ("chargeDeclinedLostCard", "Visa", False, "Your card was reported lost."),
    "4000000000000069": ("chargeDeclinedExpiredCard", "Visa", False, "Your card has expired."),
    "4000000000000127": (
        "chargeDeclinedIncorrectCvc",
        "Visa",
        False,
        "Your card's security code is incorrect.",
    ),
    "4000000000000119": (
        "chargeDeclinedProcessingError",
        "Visa",
        False,
        "An error occurred while processing your card.",
    ),
}
SANDBOX_PREFIX = "tok_sandbox_"
_BY_TOKEN = {SANDBOX_PREFIX + card[0]: card for card in SANDBOX_CARDS.values()}


class SandboxGateway:
    """The sandbox: test card numbers only, deterministic answers, no network."""

    name = "sandbox"

    def tokenize(self, number: str) -> CardToken:
        digits = "".join(ch for ch in number if ch.isdigit())
        if digits not in SANDBOX_CARDS:
            raise InvalidArgument(
                "The sandbox payment gateway takes only its test card numbers "
                "(4242424242424242 approves, 4000000000000002 declines).",
                field="cardNumber",
            )
        name, brand, _, _ = SANDBOX_CARDS[digits]
        return CardToken(token=SANDBOX_PREFIX + name, brand=brand, last4=digits[-4:])

    def charge(self, *, token: str, amount: Decimal, currency: str, idempotency_key: str) -> ChargeResult:
        reference = "sbx_" + hashlib.sha256(f"{token}\0{idempotency_key}".encode()).hexdigest()[:24]
        card = _BY_TOKEN.get(token)
        if card is None:
            return ChargeResult(approved=False, reference=reference, message="Unknown card token.")
        if amount <= 0:
            return ChargeResult(approved=False, reference=reference, message="The amount must be positive.")
        return ChargeResult(approved=card[2], reference=reference, message=card[3])


def payment_gateway() -> PaymentGateway:
    """The configured gateway (``BILLING_PAYMENT_GATEWAY``, a dotted class path; the sandbox by
    default)."""
    path = getattr(settings, "BILLING_PAYMENT_GATEWAY", "billing.payments.SandboxGateway")
    return import_string(path)()
