"""The site's words: one spelling of tone marks (the plan's traditional placement: hòa, khóa, lũy kế, thủy) and no
internal names (settings keys, group codes, command-line options) in what users read."""

import ast
import re
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "thidua"

# A tone mark on the second vowel of a closing "oa"/"uy" ("hoà", "khoá", "thuỷ", "luỹ") is the new placement; the
# plan writes "hòa", "khóa", "thủy", "lũy". "quý", "quỹ" are the same in both and are left alone.
NEW_PLACEMENT = re.compile(r"(?<![qQ])(?:[oO][àáảãạ]|[uU][ỳýỷỹỵ])(?!\w)")
INTERNAL = re.compile(r"cap_huyen|cap_tinh|max_per_machine_day|--replace|--reason")


def user_texts():
    """Yield (where, text) for every template, the Vietnamese catalogue and the string literals of the code."""
    for path in sorted(PACKAGE.rglob("templates/**/*.html")):
        yield path.relative_to(PACKAGE), path.read_text(encoding="utf-8")
    yield "locale/vi", (PACKAGE / "locale" / "vi" / "LC_MESSAGES" / "django.po").read_text(encoding="utf-8")
    for path in sorted(PACKAGE.rglob("*.py")):
        if "management" in path.parts or "migrations" in path.parts:
            continue  # the command line documents its own options; migrations are history
        # Texts, not keys: a string with a space in it is something someone reads ("max_per_machine_day" alone
        # is the key a table of labels translates).
        strings = [n.value for n in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
                   if isinstance(n, ast.Constant) and isinstance(n.value, str) and " " in n.value.strip()]
        yield path.relative_to(PACKAGE), "\n".join(strings)


@pytest.mark.parametrize("where,text", list(user_texts()), ids=lambda v: str(v)[:60])
def test_tone_marks_follow_the_plans_placement(where, text):
    found = sorted({m.string[max(0, m.start() - 4):m.end()] for m in NEW_PLACEMENT.finditer(text)})
    assert not found, f"{where}: {found}"


def test_the_check_knows_both_placements():
    assert NEW_PLACEMENT.search("Luỹ kế") and NEW_PLACEMENT.search("hoà") and NEW_PLACEMENT.search("thuỷ")
    assert not NEW_PLACEMENT.search("Lũy kế hòa khóa thủy quý quỹ hoàn thành")


def test_no_internal_names_in_templates_or_site_messages():
    found = []
    for where, text in user_texts():
        if str(where).startswith("campaigns/config.py"):
            continue  # the settings file's own reader names the keys of that file
        found += [f"{where}: {m.group()}" for m in INTERNAL.finditer(text)]
    assert not found


COUNTED = re.compile(r"\{% blocktranslate [^%]*count (\w+)=[^%]*%\}(.*?)\{% endblocktranslate %\}", re.S)


def test_counts_in_sentences_are_shown_with_thousands_separators():
    """A plural's count chooses the form; what is shown is its formatted twin (`n_so=…|so`): "1.766 mục"."""
    raw = [f"{path.relative_to(PACKAGE)}: {m.group(0)[:60]}"
           for path in sorted(PACKAGE.rglob("templates/**/*.html"))
           for m in COUNTED.finditer(path.read_text(encoding="utf-8")) if "{{ " + m.group(1) + " }}" in m.group(2)]
    assert not raw
