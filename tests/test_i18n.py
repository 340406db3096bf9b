"""The site's language: Vietnamese whatever the browser asks for, English only by the footer's switch; the
catalogues (thidua/locale) complete, compiled and in step with the texts the sources mark for translation."""

import ast
import gettext
import re
from html import unescape
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.forms import AuthenticationForm
from django.test import Client
from django.urls import reverse
from django.utils import translation
from django.utils.html import escape
from django.utils.translation.template import templatize

from thidua.accounts.models import Role
from thidua.accounts.services import user_create
from thidua.units.models import Unit

pytestmark = pytest.mark.django_db

PACKAGE = Path(__file__).resolve().parent.parent / "thidua"


def catalogue(language: str) -> Path:
    """Return the .po file of the site's catalogue for a language."""
    return PACKAGE / "locale" / language / "LC_MESSAGES" / "django.po"


# Every catalogue of the package: ours (made by `make messages`) and the accounts app's, which fixes by hand
# messages of Django that Django's own Vietnamese catalogue lacks.
ALL_CATALOGUES = [catalogue("vi"), catalogue("en"),
                  PACKAGE / "accounts" / "locale" / "vi" / "LC_MESSAGES" / "django.po"]
ENGLISH = {"Accept-Language": "en-US,en;q=0.9"}
PASSWORD = "Mat-khau-2021"


@pytest.fixture(autouse=True)
def _site_language_afterwards():
    """Leave the thread in the site's language: a request in English activates English for the thread."""
    yield
    translation.deactivate()


@pytest.fixture
def officer(campaign):
    return user_create(username="canbo", password=PASSWORD, role=Role.PC06, actor="kiem-thu",
                       unit=Unit.objects.get(campaign=campaign, code="PC06"))


def choose(client, language: str, page: str):
    """Press the footer's button for a language on a page, as a browser does (with the form's CSRF token)."""
    body = client.get(page).content.decode()
    form = re.search(r'<form method="post" action="([^"]+)" class="language-switch">(.*?)</form>', body, re.S)
    assert form, "the footer has no language switch"
    fields = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', form[2]))
    assert f'name="language" value="{language}"' in form[2]
    return client.post(form[1], {**{k: unescape(v) for k, v in fields.items()}, "language": language})


# --- Vietnamese whatever the browser says -------------------------------------------------------------------

def test_the_login_page_is_vietnamese_for_a_browser_asking_for_english(client):
    response = client.get(reverse("login"), headers=ENGLISH)
    body = response.content.decode()
    assert '<html lang="vi">' in body and "<h1>Đăng nhập</h1>" in body and "Log in" not in body
    assert response["Content-Language"] == "vi"


def test_django_s_own_login_error_is_vietnamese_for_a_browser_asking_for_english(client, officer):
    body = client.post(reverse("login"), {"username": "canbo", "password": "sai"}, headers=ENGLISH).content.decode()
    with translation.override("vi"):
        name = get_user_model()._meta.get_field("username").verbose_name
        expected = AuthenticationForm.error_messages["invalid_login"] % {"username": name}
    assert escape(expected) in body and "Please enter a correct" not in body


def test_django_s_own_password_rules_are_vietnamese_for_a_browser_asking_for_english(client, officer):
    client.force_login(officer)
    body = client.post(reverse("password_change"), {"old_password": PASSWORD, "new_password1": "Ab-1",
                                                    "new_password2": "Ab-1"}, headers=ENGLISH).content.decode()
    assert "Mật khẩu quá ngắn: cần ít nhất 8 ký tự." in body and "too short" not in body  # the accounts catalogue
    empty = {"old_password": "", "new_password1": "", "new_password2": ""}
    body = client.post(reverse("password_change"), empty, headers=ENGLISH).content.decode()
    assert "Trường này là bắt buộc." in body and "This field is required." not in body


def test_a_language_cookie_the_site_does_not_offer_leaves_it_in_vietnamese(client):
    client.cookies["django_language"] = "fr"
    assert '<html lang="vi">' in client.get(reverse("login"), headers=ENGLISH).content.decode()


# --- English by the footer's switch -------------------------------------------------------------------------

def test_choosing_english_turns_the_login_page_english(officer):
    browser = Client(enforce_csrf_checks=True, headers=ENGLISH)
    response = choose(browser, "en", reverse("login"))
    assert response.status_code == 302 and response.url == reverse("login")
    body = browser.get(reverse("login")).content.decode()
    assert '<html lang="en">' in body and "<h1>Log in</h1>" in body and "Đăng nhập" not in body
    assert '<strong lang="en" aria-current="true">English</strong>' in body


def test_after_choosing_english_django_s_own_messages_are_english_too(client, officer):
    choose(client, "en", reverse("login"))
    body = client.post(reverse("login"), {"username": "canbo", "password": "sai"}).content.decode()
    assert "Please enter a correct" in body


def test_choosing_english_turns_the_home_page_english(client, officer, campaign):
    client.force_login(officer)
    choose(client, "en", reverse("home"))
    body = client.get(reverse("home")).content.decode()
    assert "<title>Home · ID card campaign</title>" in body and "Log out" in body and campaign.name in body
    assert "Trang chủ" not in body and "Đăng xuất" not in body


def test_choosing_vietnamese_again_turns_the_site_back(client):
    choose(client, "en", reverse("login"))
    choose(client, "vi", reverse("login"))
    assert "<h1>Đăng nhập</h1>" in client.get(reverse("login")).content.decode()


def test_a_user_who_must_change_their_password_is_not_offered_the_switch(client, officer):
    """Every address but the password change is refused to them until they have, the switch's included."""
    officer.profile.must_change_password = True
    officer.profile.save(update_fields=["must_change_password"])
    client.force_login(officer)
    assert 'class="language-switch"' not in client.get(reverse("password_change")).content.decode()


# --- the catalogues ------------------------------------------------------------------------------------------

def read_po(path: Path) -> list[dict]:
    """Return the entries of a .po file: {"flags": set, "msgctxt"?, "msgid", "msgid_plural"?, "msgstr" | "msgstr[n]"}.

    Enough of the format for catalogues written by gettext's tools: one keyword per line, strings continued on
    the following lines, obsolete entries (#~) left out.
    """
    entries = []
    for block in path.read_text(encoding="utf-8").split("\n\n"):
        entry, key = {"flags": set()}, None
        for line in block.strip().splitlines():
            if line.startswith("#,"):
                entry["flags"] |= {flag.strip() for flag in line[2:].split(",")}
            elif line.startswith("#"):
                continue
            elif line.startswith('"'):
                entry[key] += ast.literal_eval(line)
            else:
                key, text = line.split(" ", 1)
                entry[key] = ast.literal_eval(text)
        if "msgid" in entry:
            entries.append(entry)
    return entries


PLACEHOLDER = re.compile(r"%(?:\(\w+\))?[sdif]")


def test_every_entry_of_the_english_catalogue_is_translated_and_not_fuzzy():
    entries = read_po(catalogue("en"))
    assert len(entries) > 100
    problems = []
    for e in entries:
        if "fuzzy" in e["flags"]:
            problems.append(("fuzzy", e["msgid"]))
        pairs = ([(e["msgid"], e["msgstr[0]"]), (e["msgid_plural"], e["msgstr[1]"])] if "msgid_plural" in e
                 else [(e["msgid"], e["msgstr"])])
        for source, english in pairs:
            if e["msgid"] and not english:
                problems.append(("not translated", source))
            elif sorted(PLACEHOLDER.findall(source)) != sorted(PLACEHOLDER.findall(english)):
                problems.append(("placeholders differ", source, english))
    assert not problems


@pytest.mark.parametrize("po", ALL_CATALOGUES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_the_compiled_catalogue_is_the_po_file_s(po):
    """The .mo files are committed (msgfmt may be missing where the site is installed): each must say what its
    .po says — run `make messages` (or `thidua compilemessages`) after editing a .po."""
    with open(po.with_suffix(".mo"), "rb") as mo:
        compiled = gettext.GNUTranslations(mo)
    stale = []
    for e in read_po(po):
        if not e["msgid"] or "fuzzy" in e["flags"]:
            continue
        key = f"{e['msgctxt']}\x04{e['msgid']}" if "msgctxt" in e else e["msgid"]
        if "msgid_plural" in e:
            for count in (1, 2):
                wanted = e.get(f"msgstr[{compiled.plural(count)}]") or (e["msgid"] if count == 1 else e["msgid_plural"])
                if compiled.ngettext(key, e["msgid_plural"], count) != wanted:
                    stale.append((e["msgid"], count))
        elif compiled.gettext(key) != (e["msgstr"] or key):
            stale.append(e["msgid"])
    assert not stale


# What the sources mark, found the way makemessages finds it but without GNU gettext's xgettext (CI machines may
# not have it): templates through Django's own templatize, which writes every {% translate %},
# {% blocktranslate %} and _("…") of a template as a gettext call, then those calls read with a regex; Python
# modules through their syntax tree.
STRING = r"""u?(?:'(?:[^'\\\n]|\\.)*'|"(?:[^"\\\n]|\\.)*")"""
CALL = re.compile(rf"\b(gettext|ngettext|pgettext|npgettext|_)\(\s*({STRING}(?:\s*,\s*{STRING})*)")
PY_FUNCTIONS = {"_", "gettext", "gettext_lazy", "gettext_noop", "ngettext", "ngettext_lazy",
                "pgettext", "pgettext_lazy", "npgettext", "npgettext_lazy"}


def message(function: str, strings: list[str]) -> tuple[str, str, str]:
    """Return (context, msgid, msgid_plural) of a gettext-family call's string arguments."""
    context = strings.pop(0) if function.startswith(("pgettext", "npgettext")) else ""
    plural = strings[1] if function.startswith(("ngettext", "npgettext")) else ""
    return context, strings[0], plural


def marked_in_templates() -> set[tuple[str, str, str]]:
    found = set()
    for path in PACKAGE.rglob("templates/**/*"):
        if path.suffix in {".html", ".txt"}:
            for call in CALL.finditer(templatize(path.read_text(encoding="utf-8"), origin=str(path))):
                found.add(message(call[1], [ast.literal_eval(s) for s in re.findall(STRING, call[2])]))
    return found


def marked_in_python() -> set[tuple[str, str, str]]:
    found = set()
    for path in PACKAGE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
            strings = [a.value for a in node.args if isinstance(a, ast.Constant) and isinstance(a.value, str)]
            if name in PY_FUNCTIONS and strings:
                found.add(message(name, strings))
    return found


def catalogued(language: str) -> set[tuple[str, str, str]]:
    return {(e.get("msgctxt", ""), e["msgid"], e.get("msgid_plural", ""))
            for e in read_po(catalogue(language)) if e["msgid"]}


def test_the_texts_found_in_the_templates_include_those_known_to_be_there():
    """The reading of the templates itself works: a translate tag, a blocktranslate with plural, a _() argument."""
    found = marked_in_templates()
    assert ("", "Đăng nhập", "") in found
    assert ("", "%(n_so)s người dùng", "%(n_so)s người dùng") in found
    assert ("", "Có,Không", "") in found and ("", "Tệp (tối đa %(max_mib)s MiB)", "") in found


@pytest.mark.parametrize("language", ["en", "vi"])
def test_every_text_the_sources_mark_is_in_the_catalogue(language):
    """A {% translate %} added without `make messages` fails here."""
    missing = (marked_in_templates() | marked_in_python()) - catalogued(language)
    assert not missing, "run `make messages` and translate the new entries of the en catalogue"


@pytest.mark.parametrize("language", ["en", "vi"])
def test_the_catalogue_holds_no_text_the_sources_no_longer_mark(language):
    gone = catalogued(language) - (marked_in_templates() | marked_in_python())
    assert not gone, "run `make messages`"

