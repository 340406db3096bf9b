"""Every address of the site and every operation of the API, walked with hostile parameters: NUL and other control
characters, over-long text, path separators, SQL-like and script strings, unicode oddities, numbers and dates at the
edge, wrong JSON types. Each in the path (one parameter at a time, the others real), in the query string, in a
form's fields, in an uploaded file's name and in a JSON body; for GET and POST; signed out and as a Quản trị, a PC06
and a team's clerk (Django's administration site: signed out and as a superuser). No answer is a server error and
none shows a traceback.

Each request runs in a savepoint rolled back after it: every request starts from the same data, and on PostgreSQL a
failed statement cannot abort the rest of the walk. Values the guard refuses whole (control characters) are sent in
every field at once; the others rotate over the fields, so that every field gets every value in a few requests.
"""

import json
import logging
import re
import sys
from urllib.parse import quote, urlencode

import pytest
from django.conf import settings as django_settings
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.signals import got_request_exception
from django.db import transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from thidua.accounts.models import Role
from thidua.accounts.services import user_create
from thidua.api.services import token_create
from thidua.api.views import api
from thidua.audit.models import ChangeSet
from thidua.units.models import Unit

pytestmark = pytest.mark.django_db

CODE = "hau-giang-2021"
# Refused by the guard before any view: one request with the value in every field is enough.
CONTROL = {"nul": "TO\x00VTH", "control": "a\x1b[2Jb\x7f\x08", "surrogate": "\ud800"}
# Reach the views: each field gets each of them.
OTHER = {
    "long": "x" * 10_000,
    # Past SQLite's longest LIKE pattern (50,000 bytes): a search of that length is no error, but refused or cut.
    "very-long": "x" * 100_000,
    "long-unicode": "Đ" * 2_000,
    "traversal": "../../etc/passwd",
    "slash": "a/b",
    "percent-2f": "%2F",
    "sql": "' OR 1=1 --",
    "script": "<script>alert(1)</script>",
    "formula": "=HYPERLINK(\"http://x\")",
    "unicode": "\u202e\ufeff\u200bTO\U0001f4a9e\u0301",
    "other-digits": "١٢٣２０２１",
    "huge-number": "9" * 5_000,
    "negative": "-1",
    "float": "1e999",
    "far-date": "9999-12-31",
    "bad-date": "2021-02-30",
    "empty": "",
}
HOSTILE = {**CONTROL, **OTHER}
# In query parameters and form fields, where a path's separators mean nothing: the others.
ROTATED = {k: v for k, v in OTHER.items() if k not in ("traversal", "slash", "percent-2f", "script")}
QUERY_KEYS = ("ngay", "dot", "nguoi", "nguon", "doi_tuong", "khoa", "ly_do", "tu", "den", "trang", "them", "q",
              "vai_tro", "don_vi", "hoat_dong", "du_lieu", "next", "tu_ngay", "den_ngay", "ma_to", "ma_may", "page",
              "page_size", "o", "p", "e", "all", "term", "app_label", "model_name", "field_name",
              "_changelist_filters", "huyen", "trang_thai", "phien_ban", "thu", "may", "xa", "sap_xep")
FORM_KEYS = ("reason", "ly_do", "sua", "sha256", "o", "n-M-VTH-01-31318", "n-M-VTH-01-31321", "name", "prefix",
             "full_name", "role", "unit", "active", "username", "password", "noi_dung", "ten_tep", "ma", "campaign",
             "old_password", "new_password1", "new_password2", "language", "next", "q", "vai_tro", "don_vi",
             "hoat_dong", "ngay", "huyen", "trang_thai", "to")
# The pages that do different things by the form's `action`: each is walked; elsewhere it is only sent.
ACTIONS = {"report_day": ("save", "submit", "verify", "reopen"), "account": ("create", "revoke")}
TRACEBACK = re.compile(rb"Traceback \(most recent call last\)|File \"/")
PERSONAS = {"quan_tri": (Role.ADMIN, "PC06"), "pc06": (Role.PC06, "PC06"), "to": (Role.TEAM, "TO-VTH-1")}
SITE_PERSONAS = ("signed-out", "quan_tri", "pc06", "to")
ADMIN_SITE = "quan-tri-he-thong/"
ADMIN_PERSONAS = ("signed-out", "superuser")
LOGIN_PAGES = ("/dang-nhap/", f"/{ADMIN_SITE}login/")
# Who sends every value in every query parameter and form field (the others: those the guard refuses): the widest
# and the narrowest scope, the superuser on the administration site, and the signed-out where they are let in (the
# login pages, the language switch, the API's schema). Every persona gets every path value.
EVERY_VALUE = ("signed-out", "quan_tri", "to", "superuser")


def _encoded(value: str) -> str:
    return quote(value, safe="", errors="surrogatepass")


def _form(pairs) -> bytes:
    return urlencode(list(pairs), errors="surrogatepass").encode("ascii")


def _rotations(keys) -> list[tuple[str, list[tuple[str, str]]]]:
    """Return (label, pairs): each control value in every key (and as a key) at once, then the other values rotated
    over the keys (request i gives key j the value (i + j) mod n, and has a field named with value i), so that each
    key gets each value once."""
    values = list(ROTATED.items())
    out = [(label, [*((k, value) for k in keys), (value, value)]) for label, value in CONTROL.items()]
    for i, (label, value) in enumerate(values):
        out.append((f"rotation {i} ({label} first)",
                    [*((k, values[(i + j) % len(values)][1]) for j, k in enumerate(keys)), (value, "1")]))
    return out


def _routes():
    """Return (route, parameter names, name) of every URL pattern; each parameter is written `{name}`."""

    def part(pattern) -> tuple[str, list[str]]:
        names: list[str] = []

        def named(m):
            names.append(m.group("name"))
            return "{" + m.group("name") + "}"

        text = str(pattern)
        if type(pattern).__name__ == "RegexPattern":
            text = re.sub(r"\(\?P<(?P<name>\w+)>[^)]*\)", named, text).lstrip("^").rstrip("$")
        else:
            text = re.sub(r"<(?:\w+:)?(?P<name>\w+)>", named, text)
        return text, names

    def walk(patterns, prefix, params):
        for p in patterns:
            text, names = part(p.pattern)
            if isinstance(p, URLResolver):
                yield from walk(p.url_patterns, prefix + text, params + names)
            elif isinstance(p, URLPattern):
                yield prefix + text, params + names, p.name or text.strip("/") or "root"

    routes = {}
    for route, params, name in walk(get_resolver().url_patterns, "", []):
        routes.setdefault(route, (route, params, name))
    return list(routes.values())


ROUTES = _routes()


@pytest.fixture
def world(campaign):
    """Return the personas' users and tokens, and a real value for every path parameter."""
    users = {persona: user_create(username=f"walk-{persona}", password="Mat-khau-2021", role=role, actor="kiem-thu",
                                  unit=Unit.objects.get(campaign=campaign, code=unit))
             for persona, (role, unit) in PERSONAS.items()}
    users["superuser"] = get_user_model().objects.create_superuser("walk-superuser", password="Mat-khau-2021")
    tokens = {persona: token_create(user=user, name="walk", actor="kiem-thu")[1] for persona, user in users.items()}
    team_user = str(users["to"].pk)
    real = {"code": CODE, "unit": "TO-VTH-1", "team": "TO-VTH-1", "day": "2021-03-10", "pk": team_user,
            "sha": "0" * 64, "unit_code": "TO-VTH-1", "ma_to": "TO-VTH-1", "ngay": "2021-03-10",
            "object_id": team_user, "id": team_user, "content_type_id": "4", "app_label": "auth",
            "url": "auth/user/", "act": str(ChangeSet.objects.order_by("pk").first().pk)}
    return users, tokens, real


class Walk:
    """Send requests as one persona; keep every answer that is a server error or shows a traceback."""

    def __init__(self, user, token: str | None):
        self.client = Client(raise_request_exception=False)
        self.token = token
        if user is not None:
            self.client.force_login(user)
        self.session = self.client.cookies.get(django_settings.SESSION_COOKIE_NAME)
        self.failures: list[str] = []
        self.errors: list[str] = []
        self.count = 0

    def send(self, method: str, path: str, what: str, **kwargs):
        self.count += 1
        self.errors.clear()
        headers = {"Authorization": f"Bearer {self.token}"} if self.token and path.startswith("/api/") else {}
        sid = transaction.savepoint()
        try:
            response = getattr(self.client, method)(path, headers=headers, **kwargs)
            # The client closes a streamed answer once read, as a server would.
            body = b"".join(response.streaming_content) if response.streaming else response.content
        finally:
            transaction.savepoint_rollback(sid)
        # The rollback undid any login, logout or password change: the next request is the same persona again.
        if self.session is not None:
            self.client.cookies[django_settings.SESSION_COOKIE_NAME] = self.session.value
        else:
            self.client.cookies.pop(django_settings.SESSION_COOKIE_NAME, None)
        if response.status_code >= 500 or TRACEBACK.search(body):
            cause = self.errors[0] if self.errors else body[:200].decode("utf-8", "replace")
            self.failures.append(f"{method.upper()} {path[:120]!r} ({what}) → {response.status_code}: {cause}")
        return response

    def post_form(self, path: str, what: str, pairs):
        self.send("post", path, what, data=_form(pairs), content_type="application/x-www-form-urlencoded")

    def check(self):
        assert not self.failures, (f"{len(self.failures)} of {self.count} requests failed:\n"
                                   + "\n".join(self.failures))


@pytest.fixture
def walker(world):
    """Return a function making a Walk as a persona (None: signed out); server errors' causes are collected."""
    users, tokens, _real = world
    walks: list[Walk] = []

    def on_exception(sender, **kwargs):
        for w in walks:
            w.errors.append(f"{type(sys.exc_info()[1]).__name__}: {str(sys.exc_info()[1])[:300]}")

    class Capture(logging.Handler):
        def emit(self, record):
            if record.exc_info:
                for w in walks:
                    w.errors.append(f"{record.exc_info[0].__name__}: {str(record.exc_info[1])[:300]}")

    handler = Capture()
    logger = logging.getLogger("thidua.api.errors")
    # Thousands of refusals (4xx) are each logged as a warning with its traceback: only errors are of interest.
    requests_logger = logging.getLogger("django.request")
    level, requests_logger.level = requests_logger.level, logging.ERROR
    got_request_exception.connect(on_exception)
    logger.addHandler(handler)

    def make(persona: str) -> Walk:
        walks.append(Walk(users.get(persona), tokens.get(persona)))
        return walks[-1]

    yield make
    requests_logger.setLevel(level)
    got_request_exception.disconnect(on_exception)
    logger.removeHandler(handler)


def _fill(route: str, values: dict) -> str:
    return "/" + re.sub(r"\{(\w+)\}", lambda m: values[m.group(1)], route)


# The API's operations are walked from its schema (below); its other addresses (schema, docs, root) as pages.
PAGE_ROUTES = [r for r in ROUTES if not r[0].startswith("api/v1/campaigns")]


@pytest.mark.parametrize("persona", [*SITE_PERSONAS, "superuser"])
def test_no_page_answers_a_server_error(persona, world, walker):
    """Walk every page (Django's administration site signed out and as a superuser, the rest signed out and as each
    role): each hostile value in each path parameter, then in every query parameter and form field (EVERY_VALUE).
    A page that sends the signed-out to the login page reads nothing else: for them, only what the guard refuses."""
    _users, _tokens, real = world
    walk = walker(persona)
    for route, params, name in PAGE_ROUTES:
        if persona not in (ADMIN_PERSONAS if route.startswith(ADMIN_SITE) else SITE_PERSONAS):
            continue
        values = {**real, "pk": real["act"]} if name == "audit_act" else real
        for label, value in HOSTILE.items():
            for p in params:
                path = _fill(route, {q: _encoded(value) if q == p else values.get(q, "1") for q in params})
                walk.send("get", path, f"{p}={label}")
        path = _fill(route, {p: values.get(p, "1") for p in params})
        first = walk.send("get", path, "real values")
        rotations = _rotations(QUERY_KEYS), _rotations(FORM_KEYS)
        to_login = first.status_code == 302 and any(page in first["Location"] for page in LOGIN_PAGES)
        if to_login or persona not in EVERY_VALUE:
            rotations = tuple(r[:len(CONTROL)] for r in rotations)
        for label, pairs in rotations[0]:
            walk.send("get", f"{path}?{urlencode(pairs, errors='surrogatepass')}", f"query {label}")
        for action in ACTIONS.get(name, ("save",)):
            for label, pairs in rotations[1]:
                walk.post_form(path, f"form {label}, action={action}", [*pairs, ("action", action)])
    walk.check()


UPLOADS = ("import_upload", "import_confirm", "users_import")
FILE_NAMES = ("a\x00b.csv", "a\x1b\x7f.csv", "../../etc/passwd.csv", "..\\..\\boot.ini.csv", "x" * 300 + ".csv",
              "Đ" * 200 + ".xlsx", "<script>alert(1)</script>.csv", "=cmd|' /C calc'!A0.csv", "\u202evsc.xlsx",
              "thu_nhan.csv", ".csv", "CON.csv", "a b;c'd\".zip")


@pytest.mark.parametrize("persona", ["quan_tri", "to"])
def test_no_upload_answers_a_server_error(persona, world, walker, settings, tmp_path):
    """Uploads under hostile file names, with hostile fields, to every page that takes a file."""
    settings.THIDUA_UPLOAD_DIR = tmp_path / "uploads"
    _users, _tokens, real = world
    walk = walker(persona)
    routes = [r for r in ROUTES if r[2] in UPLOADS]
    assert len(routes) == len(UPLOADS)
    content = b"ngay,ma_may,ma_xa,so_ho_so\r\n10/03/2021,M-VTH-01,31318,5\r\n"
    for route, params, _name in routes:
        path = _fill(route, {p: real.get(p, "1") for p in params})
        for file_name in FILE_NAMES:
            for label, value in {"plain": "", **{k: HOSTILE[k] for k in ("nul", "long", "sql")}}.items():
                fields = {k: value for k in ("ly_do", "sua", "sha256", "noi_dung", "ten_tep", "ma")} if value else {}
                walk.send("post", path, f"file {file_name[:20]!r}, fields {label}",
                          data={"tep": SimpleUploadedFile(file_name, content), "campaign": "1", **fields})
    walk.check()


# --- the API ---------------------------------------------------------------------------------------------------

def _operations():
    """Return every operation of the API's OpenAPI schema: the one /api/v1/openapi.json serves, read when the tests
    are collected, before any database exists (test_the_walk_knows_every_operation checks it is the same)."""
    return [(method, path, operation["operationId"], operation.get("parameters", []), "requestBody" in operation)
            for path, methods in api.get_openapi_schema(path_prefix="")["paths"].items()
            for method, operation in methods.items()]


ROW = {"ngay": "2021-03-10", "ma_may": "M-VTH-01", "ma_xa": "31318", "so_ho_so": 1}


def _bodies() -> dict[str, str | bytes]:
    """Hostile JSON bodies, as raw text: NaN, lone surrogates and deep nesting cannot be written otherwise. The
    values reaching the schema rotate over the fields as in forms; each wrong type is in every field at once."""
    bodies: dict[str, str | bytes] = {
        "empty": "", "not json": "{rows:", "invalid utf-8": b"\xff\xfe{", "raw NUL": '{"ly_do": "a\x00b"}',
        "null": "null", "list": "[]", "number": "1", "string": '"x"', "NaN": '{"rows": NaN, "ly_do": NaN}',
        "deep list": "[" * 100_000 + "]" * 100_000, "deep object": '{"a":' * 50_000 + "1" + "}" * 50_000,
        "surrogates": '{"rows": [{"ngay": "2021-03-10", "ma_may": "\\ud800", "ma_xa": "31318", "so_ho_so": 1}], '
                      '"ly_do": "\\udfff"}',
        "nested NUL": json.dumps({"rows": [{**ROW, "x": {"y": ["\x00"]}}], "ly_do": "x"}),
        "NUL key": json.dumps({"rows": [ROW], "ly\x00do": "x"}),
        "control": json.dumps({"rows": [{k: CONTROL["control"] for k in ROW}], "ly_do": CONTROL["control"]}),
        "many rows": json.dumps({"rows": [ROW] * 2001}),
    }
    for label, pairs in _rotations((*ROW, "ly_do"))[len(CONTROL):]:
        fields = dict(pairs)
        bodies[label] = json.dumps({"rows": [{k: fields.pop(k) for k in ROW}, {**ROW, **fields}],
                                    "ly_do": fields["ly_do"]})
    for value in (None, True, -1, 10**30, 1.5, 1e308, [], {}, [ROW], {"a": 1}):
        bodies[f"wrong {value!r:.20}"] = json.dumps({"rows": [dict.fromkeys(ROW, value)], "ly_do": value})
        bodies[f"wrong rows {value!r:.20}"] = json.dumps({"rows": value})
    return bodies


OPERATIONS = _operations()
BODIES = _bodies()
# Sent to the operations that take no body.
SOME_BODIES = ("not json", "invalid utf-8", "raw NUL", "deep list", "surrogates", "nested NUL", "NUL key", "NaN",
               "rotation 0 (long first)")
API_PERSONAS = ("signed-out", "quan_tri", "pc06", "to")


@pytest.mark.parametrize("persona", API_PERSONAS)
def test_no_api_operation_answers_a_server_error(persona, world, walker):
    """Walk every operation of the API: each hostile value in each path parameter, then in every query parameter;
    each hostile body (a few to the operations that take none, and those of EVERY_VALUE only)."""
    _users, _tokens, real = world
    walk = walker(persona)
    for method, path, _operation, params, has_body in OPERATIONS:
        in_path = [p["name"] for p in params if p["in"] == "path"]
        in_query = [p["name"] for p in params if p["in"] == "query"]
        route = "api/v1" + path
        body = {"data": json.dumps({"rows": [ROW]}), "content_type": "application/json"} if method == "post" else {}
        for label, value in HOSTILE.items():
            for p in in_path:
                walk.send(method, _fill(route, {q: _encoded(value) if q == p else real[q] for q in in_path}),
                          f"{p}={label}", **body)
        real_path = _fill(route, {p: real[p] for p in in_path})
        every = persona in EVERY_VALUE and walk.send(method, real_path, "real values", **body).status_code != 401
        rotations = _rotations((*in_query, "ngay", "x"))
        for label, pairs in rotations if every else rotations[:len(CONTROL)]:
            walk.send(method, f"{real_path}?{urlencode(pairs, errors='surrogatepass')}", f"query {label}", **body)
        if method == "post":
            for label, raw in (BODIES if has_body and every else {k: BODIES[k] for k in SOME_BODIES}).items():
                walk.send(method, real_path, f"body {label}", data=raw, content_type="application/json")
            walk.post_form(real_path, "form body", [("ly_do", "\x00")])
    walk.check()


def test_the_walk_knows_every_operation(client):
    served = client.get("/api/v1/openapi.json").json()["paths"]
    assert {(m, p.removeprefix("/api/v1")) for p, methods in served.items() for m in methods} == {
        (m, p) for m, p, *_ in OPERATIONS}
