import datetime as dt
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

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


# documents.md's table, then amounts checked by hand.
AMOUNTS = [
    (0, "Không đồng"),
    (21, "Hai mươi mốt đồng"),
    (105, "Một trăm linh năm đồng"),
    (115, "Một trăm mười lăm đồng"),
    (1_490_000, "Một triệu bốn trăm chín mươi nghìn đồng"),
    (1_000_500, "Một triệu năm trăm đồng"),
    (1_005_000, "Một triệu không trăm linh năm nghìn đồng"),
    (10_005_000, "Mười triệu không trăm linh năm nghìn đồng"),
    (53_290_000, "Năm mươi ba triệu hai trăm chín mươi nghìn đồng"),
    (1_000_000_000, "Một tỷ đồng"),
    (10, "Mười đồng"),
    (11, "Mười một đồng"),
    (14, "Mười bốn đồng"),
    (15, "Mười lăm đồng"),
    (24, "Hai mươi bốn đồng"),
    (25, "Hai mươi lăm đồng"),
    (31, "Ba mươi mốt đồng"),
    (1_001, "Một nghìn không trăm linh một đồng"),
    (2_980_000, "Hai triệu chín trăm tám mươi nghìn đồng"),
    (22_000_000, "Hai mươi hai triệu đồng"),
    (40_980_000, "Bốn mươi triệu chín trăm tám mươi nghìn đồng"),
    (2_000_000_021, "Hai tỷ không trăm hai mươi mốt đồng"),
    (1_200_000_000_000, "Một nghìn hai trăm tỷ đồng"),
]


@pytest.mark.parametrize(("amount", "words"), AMOUNTS)
def test_amounts_in_words_follow_documents_md(amount, words):
    assert vn.amount_words(amount) == words


def test_an_amount_as_documents_write_it():
    assert vn.amount_text(10_000_000) == "10.000.000 đồng (Mười triệu đồng)"


_VALUES = {"không": 0, "một": 1, "mốt": 1, "hai": 2, "ba": 3, "bốn": 4, "năm": 5, "lăm": 5, "sáu": 6, "bảy": 7,
           "tám": 8, "chín": 9}


def _read_back(words: str) -> int:
    """Read Vietnamese number words back (the test's own reader): the inverse the property checks against."""
    total, billions, current, group = 0, 0, 0, 0
    tokens = words.split()
    for i, token in enumerate(tokens):
        if token in _VALUES:
            value = _VALUES[token]
            if i + 1 < len(tokens) and tokens[i + 1] == "mươi":
                group += value * 10
            elif i + 1 < len(tokens) and tokens[i + 1] == "trăm":
                group += value * 100
            else:
                group += value
        elif token == "mười":
            group += 10
        elif token in ("mươi", "trăm", "linh"):
            continue
        elif token == "nghìn":
            current += group * 1000
            group = 0
        elif token == "triệu":
            current += group * 1_000_000
            group = 0
        elif token == "tỷ":
            billions = (current + group) * 1_000_000_000
            total += billions
            current, group = 0, 0
        else:
            raise AssertionError(token)
    return total + current + group


@given(st.integers(min_value=0, max_value=999_999_999_999))
def test_amounts_in_words_read_back_to_the_amount(amount):
    words = vn.number_words(amount)
    assert _read_back(words) == amount
    assert "tư" not in words.split()
    assert not words.startswith("không") or amount == 0


def test_dates_in_a_documents_text():
    assert vn.long_date(dt.date(2021, 7, 5)) == "ngày 05 tháng 7 năm 2021"
    assert vn.long_date(dt.date(2021, 2, 15)) == "ngày 15 tháng 02 năm 2021"
    assert vn.long_date(dt.date(2021, 12, 1)) == "ngày 01 tháng 12 năm 2021"


def test_document_numbers_take_a_leading_zero_or_leave_the_space():
    assert vn.document_number(5, "TTr-CAT-PC06") == "05/TTr-CAT-PC06"
    assert vn.document_number(1234, "QĐ-UBND") == "1234/QĐ-UBND"
    assert vn.document_number(None, "TTr-CAT-PC06") == "      /TTr-CAT-PC06"


def test_names_sort_by_given_name_then_middle_then_family_letters_before_tones():
    names = ["Trần Thị Ánh", "Nguyễn Văn Anh", "Lê Bá Ăn", "Hồ Văn Bình", "Võ Thị Ân", "Phạm Đức Anh",
             "Lê Văn An", "Đỗ Thị Ánh", "Nguyễn Văn Ánh", "Đặng Thị Dung", "Lý Thị Đào"]
    assert sorted(names, key=vn.name_key) == [
        "Lê Văn An", "Phạm Đức Anh", "Nguyễn Văn Anh", "Đỗ Thị Ánh", "Trần Thị Ánh", "Nguyễn Văn Ánh",
        "Lê Bá Ăn", "Võ Thị Ân", "Hồ Văn Bình", "Đặng Thị Dung", "Lý Thị Đào"]


def test_tones_decide_only_between_equal_letters_in_their_order():
    tones = ["Ma", "Mà", "Má", "Mả", "Mã", "Mạ"]
    assert sorted(reversed(tones), key=vn.name_key) == tones
