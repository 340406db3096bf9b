"""Vietnamese formats: 10.000.000 đ, 1.234, 12,5%, dd/mm/yyyy."""

import datetime as dt
import re
import unicodedata
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction


def number(value: int | Decimal | None, places: int = 0) -> str:
    """Return a number with `.` between thousands and `,` before decimals (rounded half-up)."""
    if value is None:
        return ""
    quantum = Decimal(1).scaleb(-places)
    rounded = Decimal(value).quantize(quantum, rounding=ROUND_HALF_UP)
    sign = "-" if rounded < 0 else ""
    whole, _, frac = f"{abs(rounded):f}".partition(".")
    groups = []
    while whole:
        groups.insert(0, whole[-3:])
        whole = whole[:-3]
    text = ".".join(groups) or "0"
    return f"{sign}{text},{frac}" if places else f"{sign}{text}"


def money(value: int | None) -> str:
    """Return an amount of đồng: 10.000.000 đ."""
    return "" if value is None else f"{number(value)} đ"


def percent(value: Decimal | None, places: int = 1) -> str:
    """Return a ratio as a percentage: 0.125 → 12,5%."""
    return "" if value is None else f"{number(Decimal(value) * 100, places)}%"


_DMY = re.compile(r"([0-9]{1,2})/([0-9]{1,2})/([0-9]{4})")
_YMD = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})")


def date_parts(text: str) -> tuple[int, int, int] | None:
    """Return (year, month, day) of a text written `dd/mm/yyyy` or `yyyy-mm-dd`, or None (not checked as a day)."""
    text = text.strip()
    if m := _DMY.fullmatch(text):
        day, month, year = m.groups()
    elif m := _YMD.fullmatch(text):
        year, month, day = m.groups()
    else:
        return None
    return int(year), int(month), int(day)


def parse_date(text: str) -> dt.date:
    """Return the date written `dd/mm/yyyy` (as typed and shown everywhere) or `yyyy-mm-dd` (in addresses).

    Raise ValueError when the text is neither, or names a day that does not exist (31/02/2021).
    """
    parts = date_parts(text)
    if parts is None:
        raise ValueError(text)
    return dt.date(*parts)


def date(value: dt.date | None) -> str:
    """Return dd/mm/yyyy."""
    return "" if value is None else f"{value:%d/%m/%Y}"


PRIZE_RANKS = {1: "Nhất", 2: "Nhì", 3: "Ba"}


def prize(rank: int | None) -> str:
    """Return a prize rank as the plan writes it: Hạng Nhất, Hạng Nhì, Hạng Ba (Hạng 4 beyond)."""
    return "" if rank is None else f"Hạng {PRIZE_RANKS.get(rank, rank)}"


def rounded(value: Fraction | int | None, places: int) -> Decimal | None:
    """Return an exact value rounded half up to `places` decimals (only ever to show it)."""
    if value is None:
        return None
    value = Fraction(value)
    exact = Decimal(value.numerator) / Decimal(value.denominator) if value.denominator != 1 else Decimal(
        value.numerator)
    return exact.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


def points(value: Fraction | None) -> str:
    """Return points with two decimals: 72,50."""
    return "" if value is None else number(rounded(value, 2), 2)


def ratio(value: Fraction | None) -> str:
    """Return an attainment as a percentage with two decimals, rounded once like the JSON's four: 110,34%."""
    return "" if value is None else percent(rounded(value, 4), 2)


_DIGITS = ("không", "một", "hai", "ba", "bốn", "năm", "sáu", "bảy", "tám", "chín")


def _group_words(n: int, full: bool) -> list[str]:
    """Read a group of three digits (0 < n < 1000); `full` reads its hundreds even when they are 0."""
    hundreds, tens, units = n // 100, n // 10 % 10, n % 10
    words: list[str] = []
    if full or hundreds:
        words += [_DIGITS[hundreds], "trăm"]
    if tens == 0:
        if units and words:
            words.append("linh")
    elif tens == 1:
        words.append("mười")
    else:
        words += [_DIGITS[tens], "mươi"]
    if units:
        if units == 1 and tens >= 2:
            words.append("mốt")
        elif units == 5 and tens >= 1:
            words.append("lăm")
        else:
            words.append(_DIGITS[units])
    return words


def number_words(n: int) -> str:
    """Read a whole number ≥ 0 in Vietnamese words, lower case (documents.md's rules): 1.005.000 → một triệu không
    trăm linh năm nghìn. Groups of three read nghìn, triệu; above, the billions are read as a number of tỷ."""
    if n < 0:
        raise ValueError("number_words takes a number ≥ 0")
    if n == 0:
        return "không"
    return " ".join(_words(n, full=False))


def _words(n: int, full: bool) -> list[str]:
    """Read 0 < n; `full`: a part after another, whose first group reads its hundreds too."""
    words: list[str] = []
    if n >= 1_000_000_000:
        billions, n = divmod(n, 1_000_000_000)
        words += [*_words(billions, full), "tỷ"]
        full = True
    for scale, size in (("triệu", 1_000_000), ("nghìn", 1_000), ("", 1)):
        group, n = divmod(n, size)
        if group:
            words += _group_words(group, full or bool(words))
            if scale:
                words.append(scale)
    return words


def amount_words(amount: int) -> str:
    """Return an amount of đồng in words, first letter upper case: 10.000.000 → Mười triệu đồng."""
    text = f"{number_words(amount)} đồng"
    return text[0].upper() + text[1:]


def amount_text(amount: int) -> str:
    """Return an amount as the documents write it: 10.000.000 đồng (Mười triệu đồng)."""
    return f"{number(amount)} đồng ({amount_words(amount)})"


def long_date(value: dt.date) -> str:
    """Return a date as a document's text writes it: ngày 05 tháng 7 năm 2021 (tháng 01, 02 with their zero)."""
    month = f"{value.month:02d}" if value.month < 3 else str(value.month)
    return f"ngày {value.day:02d} tháng {month} năm {value.year}"


def document_number(n: int | None, symbol: str) -> str:
    """Return a document's number and symbol: 05/TTr-CAT-PC06; with no number yet the space is left for it."""
    return f"{' ' * 6}/{symbol}" if n is None else f"{n:02d}/{symbol}"


_ALPHABET = "a ă â b c d đ e ê g h i k l m n o ô ơ p q r s t u ư v x y".split()  # noqa: SIM905
# Tones in the order documents.md gives: none, huyền, sắc, hỏi, ngã, nặng (as combining marks after NFD).
_TONES = {"\u0300": 1, "\u0301": 2, "\u0309": 3, "\u0303": 4, "\u0323": 5}


def _word_key(word: str) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """Return a word's letters as ranks in the Vietnamese alphabet, then its tones: letters decide first."""
    letters, tones = [], []
    for char in word.lower():
        decomposed = unicodedata.normalize("NFD", char)
        base, marks = decomposed[0], decomposed[1:]
        tone, letter = 0, base
        for mark in marks:
            if mark in _TONES:
                tone = _TONES[mark]
            elif mark == "\u0306":
                letter = "ă"
            elif mark == "\u0302":
                letter = {"a": "â", "e": "ê", "o": "ô"}.get(base, base)
            elif mark == "\u031b":
                letter = {"o": "ơ", "u": "ư"}.get(base, base)
        if char == "đ":
            letter = "đ"
        rank = _ALPHABET.index(letter) if letter in _ALPHABET else len(_ALPHABET) + ord(letter)
        letters.append(rank)
        tones.append(tone)
    return tuple(letters), tuple(tones)


def text_key(text: str) -> tuple:
    """Return the sort key of a Vietnamese text (a place's name): its words in order, each compared as `name_key`
    compares them."""
    return tuple(_word_key(w) for w in text.split())


def name_key(full_name: str) -> tuple:
    """Return the sort key of a Vietnamese name (documents.md): the given name (last word) first, then the middle
    names in order, then the family name (first word); words compared letter by letter in the Vietnamese alphabet,
    tones only when the letters are equal. Callers add the unit and the code for identical names."""
    words = full_name.split()
    ordered = [words[-1], *words[1:-1], words[0]] if len(words) > 1 else words
    return tuple(_word_key(w) for w in ordered)
