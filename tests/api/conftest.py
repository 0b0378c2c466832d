"""Fixtures of the REST door's tests."""

from tests.billing.conftest import billing_demo  # noqa: F401 - the demo data of every app
