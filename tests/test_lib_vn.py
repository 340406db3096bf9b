import datetime as dt
from decimal import Decimal

from thidua.lib import vn


def test_money_uses_dots_between_thousands():
    assert vn.money(10_000_000) == "10.000.000 đ"


def test_number_rounds_half_up_with_a_decimal_comma():
    assert vn.number(Decimal("72.005"), 2) == "72,01"
    assert vn.number(Decimal("1234.5"), 1) == "1.234,5"


def test_small_and_negative_numbers():
    assert vn.number(0) == "0"
    assert vn.number(-1500) == "-1.500"


def test_percent_and_date():
    assert vn.percent(Decimal("1.2345"), 2) == "123,45%"
    assert vn.date(dt.date(2021, 7, 1)) == "01/07/2021"
