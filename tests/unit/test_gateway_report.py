"""A gateway settlement report is for one gateway in one currency; a gateway that settles
in two currencies needs the report to say which (no I/O: the ledger's answer is a stub)."""

import pytest

from services.domain.errors import ConfigError
from services.reconciliation.gateway import parse

HEADER = "date,gateway,reference,gross,fee,net,type"


def known(currencies):
    return lambda gateway: currencies


def test_a_report_without_a_currency_takes_the_gateways_only_one():
    report = parse(f"{HEADER}\n2026-11-02,card,O_1,200.00,6.00,194.00,capture\n".encode(), known(["BRL"]))
    assert report.currency == "BRL" and report.lines[0].amounts == {"gross": 20000, "fee": 600, "net": 19400}


def test_a_gateway_settling_in_two_currencies_needs_the_reports_currency():
    data = f"{HEADER}\n2026-11-02,paypal,O_1,10.00,0.35,9.65,capture\n".encode()
    with pytest.raises(ConfigError, match="settles in BRL, USD: the report needs a currency column"):
        parse(data, known(["BRL", "USD"]))
    with_currency = f"{HEADER},currency\n2026-11-02,paypal,O_1,10.00,0.35,9.65,capture,USD\n".encode()
    assert parse(with_currency, known(["BRL", "USD"])).currency == "USD"


@pytest.mark.parametrize("rows, message", [
    ("2026-11-02,card,O_1,1,0,1,capture,BRL\n2026-11-02,card,O_2,1,0,1,capture,USD\n", "one currency per report"),
    ("2026-11-02,card,O_1,1,0,1,capture,EUR\n", "no captures through gateway 'card' in EUR"),
])
def test_a_report_mixing_currencies_or_in_one_the_gateway_never_took_is_one_line(rows, message):
    with pytest.raises(ConfigError, match=message):
        parse(f"{HEADER},currency\n{rows}".encode(), known(["BRL", "USD"]))
