import datetime as dt
from decimal import Decimal

import pytest

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


def test_a_date_is_read_day_first_or_as_written_in_addresses():
    assert vn.parse_date("05/03/2021") == vn.parse_date("5/3/2021") == vn.parse_date(" 2021-03-05 ") \
        == dt.date(2021, 3, 5)


@pytest.mark.parametrize("text", ["31/02/2021", "03-05-2021", "2021/03/05", "5/3/21", "", "٥/٣/٢٠٢١", "05/03/2021x"])
def test_what_is_not_a_date_is_refused(text):
    with pytest.raises(ValueError):
        vn.parse_date(text)


def test_prize_ranks_are_named_as_the_plan_names_them():
    assert [vn.prize(n) for n in (1, 2, 3, 4, None)] == ["Hạng Nhất", "Hạng Nhì", "Hạng Ba", "Hạng 4", ""]
