"""Money: Decimal amounts rounded half up to the minor unit of their currency, and bill dates."""

from __future__ import annotations

import calendar
import datetime as dt
from decimal import ROUND_HALF_UP, Decimal

from django.utils import timezone

#: Currencies the portal bills in, with the number of places of their minor unit. Amounts are
#: stored with two places, so a currency with more than two is not offered.
CURRENCY_PLACES: dict[str, int] = {"USD": 2, "EUR": 2, "GBP": 2, "CAD": 2, "AUD": 2, "CHF": 2, "JPY": 0}
CURRENCY_CHOICES = [(code, code) for code in CURRENCY_PLACES]

ZERO = Decimal("0")
HUNDRED = Decimal("100")


def money_round(amount: Decimal, currency: str) -> Decimal:
    """``amount`` rounded half up to ``currency``'s minor unit (``Decimal("0.335")`` → ``0.34``)."""
    places = CURRENCY_PLACES.get(currency, 2)
    return Decimal(amount).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


def discount_value(kind: str, amount: Decimal, base: Decimal, currency: str) -> Decimal:
    """What a discount takes off ``base``: never more than ``base``, so a line never goes below zero.

    ``Fixed`` takes ``amount``; ``Percent`` takes ``amount`` per cent of ``base``, rounded half up
    to the minor unit (10 % of 3.33 is 0.33).
    """
    if base <= ZERO:
        return ZERO
    off = amount if kind == "Fixed" else base * amount / HUNDRED
    return min(money_round(off, currency), base)


def add_months(day: dt.date, months: int, *, anchor_day: int | None = None) -> dt.date:
    """``day`` moved by ``months``, on ``anchor_day`` (default: ``day``'s own) or the month's last day
    when the month is shorter: a package billed on the 31st is billed on 28 February, then 31 March."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    month += 1
    last = calendar.monthrange(year, month)[1]
    return dt.date(year, month, min(anchor_day or day.day, last))


def days_between(start: dt.date, end: dt.date) -> int:
    """Days from ``start`` up to (not including) ``end``."""
    return (end - start).days


def prorate(amount: Decimal, days_used: int, days_in_period: int, currency: str) -> Decimal:
    """``amount`` for ``days_used`` of a period of ``days_in_period`` days: amount x days used ÷
    days in the period, rounded half up to the minor unit (one line at a time).

    ``prorate(Decimal("10.00"), 15, 31, "USD")`` is ``4.84`` (4.8387… rounded half up).
    """
    if days_in_period <= 0:
        raise ValueError("a period has at least one day")
    days_used = max(0, min(days_used, days_in_period))
    return money_round(Decimal(amount) * days_used / days_in_period, currency)


def today() -> dt.date:
    """The billing day: the portal's local date. Everything in billing asks here (``money.today()``),
    so that a test can set the clock in one place."""
    return timezone.localdate()


def bill_run_latest() -> tuple[dt.date, str]:
    """The latest day a bill run may be dated: ``BILLING_RUN_HORIZON_DAYS`` (31 by default, one
    bill cycle; ``PORTAL_BILL_RUN_HORIZON_DAYS``) after :func:`today`, and the reason in words. A
    run dated later would bill months nobody has used yet."""
    from django.conf import settings

    days = settings.BILLING_RUN_HORIZON_DAYS
    return today() + dt.timedelta(days=days), f"a bill run may be dated at most {days} days after today"
