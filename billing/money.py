"""Money: Decimal amounts rounded half up to the minor unit of their currency, and bill dates."""

from __future__ import annotations

import calendar
import datetime as dt
import re
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


#: The one way an amount is written, at every door: digits, at most one point, an optional sign.
#: No exponent (``1e3``, ``5E+1``), no ``NaN`` or ``Infinity``, no thousands separators.
_MONEY_WRITTEN = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)")

#: Amounts are stored in ``max_digits=14, decimal_places=2`` columns.
MONEY_LIMIT = Decimal("1000000000000")


def written_plainly(text: str) -> bool:
    """Whether ``text`` is a number in plain decimal notation (``"12.50"``, ``"-3"``; not ``"1e3"``)."""
    return bool(_MONEY_WRITTEN.fullmatch(text.strip()))


def money_parse(value: object, currency: str = "USD") -> Decimal | None:
    """The amount written in ``value`` (text, or a Decimal a door parsed), with exactly the places
    of ``currency``'s minor unit (``"1.1"`` → ``Decimal("1.10")``); ``None`` when it is not an
    amount: not plain decimal notation (an exponent such as ``1e3`` is refused), more places than
    the currency has, or too large to store. The sign is the caller's to judge."""
    if value is None or isinstance(value, bool | float):
        return None
    text = str(value).strip()
    if not written_plainly(text):
        return None
    amount = Decimal(text)
    rounded = money_round(amount, currency)
    if rounded != amount or abs(rounded) >= MONEY_LIMIT:
        return None
    return rounded


def money_text(amount: Decimal, currency: str = "USD") -> str:
    """``amount`` as the portal writes money in its answers: always the currency's places
    (``Decimal("1000")`` → ``"1000.00"``), never an exponent."""
    return f"{money_round(amount, currency):f}"


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
