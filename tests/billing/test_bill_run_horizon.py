"""A bill run may be dated at most ``BILLING_RUN_HORIZON_DAYS`` after billing's today (finding 11
of the security review: a run for a far-future day billed months nobody had used). Refused with a
400 naming the latest allowed day, on every door that runs one, and nothing is billed."""

from __future__ import annotations

import datetime as dt

import pytest

from billing import money
from billing.models import BillRun, Invoice, UserPackage
from portal.models import Job

FAR = "2150-01-01"


@pytest.fixture
def due(add_package):
    """Northwind's package, due from 2026-01-01 (nothing billed yet)."""
    add_package(xmlOptionalServices="", xmlServiceDiscounts="")
    assert not Invoice.objects.exists()


def _rest(api, day: str):
    return api(
        "post",
        "/api/procedures/",
        json={"namespace": "Billing", "procedure": "RunBillCycle", "executeData": {"date": day}},
    )


def _nothing_billed() -> None:
    assert not Invoice.objects.exists()
    assert not BillRun.objects.exists()
    assert UserPackage.objects.get().next_bill_date == dt.date(2026, 1, 1)


def _latest(days: int = 31) -> str:
    return (money.today() + dt.timedelta(days=days)).isoformat()


def test_rest_refuses_a_run_beyond_the_horizon_naming_the_latest_day(api, due):
    answer = _rest(api, FAR)
    assert answer.status_code == 400
    error = answer.json()["error"]
    assert (error["name"], error["field"]) == ("InvalidArgument", "date")
    assert f"{_latest()} at the latest" in error["description"]
    assert "31 days after today" in error["description"]
    _nothing_billed()


def test_mps_refuses_a_run_beyond_the_horizon(mps, due):
    answer = mps(
        '<request><procedure><execute namespace="Billing" procedure="RunBillCycle" impersonate="1">'
        f"<executeData><date>{FAR}</date></executeData></execute></procedure></request>"
    )
    assert answer.status_code == 400
    assert b"InvalidArgument" in answer.content and _latest().encode() in answer.content
    _nothing_billed()


def test_the_bill_run_page_refuses_it_and_starts_no_job(browser, due):
    answer = browser().post("/billing/bill-run/", {"date": FAR})
    assert answer.status_code == 200
    assert f"{_latest()} at the latest" in answer.content.decode()
    assert not Job.objects.filter(kind="bill-run").exists()
    _nothing_billed()


def test_the_soap_door_offers_no_bill_run(client, db):
    wsdl = client.get("/adminportal/webservice.asmx?WSDL").content
    assert b"AddPackageToUserWithOptionalServices" in wsdl
    assert b"BillCycle" not in wsdl and b'BillRun"' not in wsdl


def test_a_run_dated_today_plus_the_horizon_is_accepted(api, due):
    answer = _rest(api, _latest())
    assert answer.status_code == 200, answer.json()
    assert answer.json()["executeData"]["invoices"] == 1
    assert _rest(api, _latest(32)).status_code == 400


def test_the_horizon_is_a_setting(api, due, settings):
    settings.BILLING_RUN_HORIZON_DAYS = 3
    answer = _rest(api, _latest(4))
    assert answer.status_code == 400
    assert "at most 3 days after today" in answer.json()["error"]["description"]
    _nothing_billed()
    assert _rest(api, _latest(3)).status_code == 200


def test_the_horizon_follows_billings_clock(api, due, monkeypatch):
    monkeypatch.setattr("billing.money.today", lambda: dt.date(2149, 12, 20))
    answer = _rest(api, FAR)
    assert answer.status_code == 200, answer.json()
    assert Invoice.objects.filter(issued_on=dt.date(2150, 1, 1)).count() == 1


def test_the_schema_check_applies_inside_a_batch_too(caller, due):
    """The engine refuses it whatever the door (here a direct call, as a job or command makes)."""
    from portal.engine import run
    from portal.errors import InvalidArgument

    with pytest.raises(InvalidArgument) as refused:
        run(caller("administrator"), "Billing::RunBillCycle", {"date": FAR}, door="command")
    assert refused.value.field == "date"
    _nothing_billed()


def test_a_run_for_dotnets_no_date_is_refused_like_any_day_out_of_range(api, due):
    # 0001-01-01 is .NET's DateTime.MinValue: "no date" where a date is optional, never a bill day
    answer = _rest(api, "0001-01-01")
    assert answer.status_code == 400
    error = answer.json()["error"]
    assert (error["name"], error["field"]) == ("InvalidArgument", "date")
    assert "between the years 1900 and 2199" in error["description"]
    _nothing_billed()
