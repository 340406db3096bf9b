"""Requests about accounts sent at once, as on a threaded server: run by tests/test_account_races.py in a process of
its own against a database of its own (what is tested, transactions at once, cannot happen inside a test's
transaction). Each request of a burst runs in a thread of its own, with its own database connection, all released
together.

    python tests/account_races.py SCENARIO   → prints what came of it as one JSON line

Passwords are hashed as in production (the hasher's cost is what leaves time for a race).
"""

import json
import os
import sys
import threading
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "thidua.settings")

import django  # noqa: E402

django.setup()

from bursts import burst  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.contrib.auth.backends import ModelBackend  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import setup_test_environment  # noqa: E402
from django.urls import reverse  # noqa: E402

from thidua.accounts.models import LoginFailure, Role  # noqa: E402
from thidua.accounts.services import user_create  # noqa: E402
from thidua.audit.chain import chain_verify  # noqa: E402
from thidua.audit.models import Change, ChangeSet  # noqa: E402
from thidua.campaigns.config import load_config  # noqa: E402
from thidua.campaigns.models import Campaign  # noqa: E402
from thidua.campaigns.services import campaign_init  # noqa: E402
from thidua.units.models import Unit  # noqa: E402

PASSWORD = "Mat-khau-dung-2021"
ADMIN = "quantri"
OFFICER = "canbo"
UNIT = "TO-1"
LOCKED = "Đăng nhập sai quá nhiều lần"


def setup() -> dict:
    """Migrate, create the reference campaign with one team, an administrator of every campaign and an officer."""
    call_command("migrate", verbosity=0)
    campaign, _ = campaign_init(config=load_config(REPO / "campaigns" / "hau-giang-2021.toml"), actor="kiem-thu")
    unit = Unit.objects.create(campaign=campaign, code=UNIT, name="Tổ 1", kind="to")
    user_create(username=ADMIN, password=PASSWORD, role=Role.ADMIN, actor="kiem-thu")
    user_create(username=OFFICER, password=PASSWORD, role=Role.TEAM, unit=unit, actor="kiem-thu")
    return {"campaign": campaign.code}


class PasswordChecks:
    """Count the passwords checked: every call of the authentication backend (a name of no account included)."""

    def __init__(self):
        self.count, self.lock, self.original = 0, threading.Lock(), ModelBackend.authenticate
        checks = self

        def authenticate(backend, request, username=None, password=None, **kwargs):
            with checks.lock:
                checks.count += 1
            return checks.original(backend, request, username=username, password=password, **kwargs)

        ModelBackend.authenticate = authenticate


def _login(username: str, password: str, ip: str):
    return Client(raise_request_exception=False).post(reverse("login"), {"username": username, "password": password},
                                                      REMOTE_ADDR=ip)


def login_name(n: int) -> dict:
    """Wrong passwords for one user name from n addresses at once."""
    checks = PasswordChecks()
    answers = burst([lambda i=i: _login(OFFICER, f"sai-{i}", f"10.1.0.{i + 1}") for i in range(n)])
    return {"checked": checks.count, "statuses": [a.status_code for a in answers],
            "locked": sum(LOCKED in a.content.decode() for a in answers)}


def login_address(n: int) -> dict:
    """Wrong passwords for n guessed user names from one address at once."""
    ip = "10.2.0.1"
    checks = PasswordChecks()
    answers = burst([lambda i=i: _login(f"doan-{i}", "sai", ip) for i in range(n)])
    failures = LoginFailure.objects.filter(ip=ip).order_by("at").values_list("at", flat=True)
    return {"checked": checks.count, "statuses": [a.status_code for a in answers],
            "failures_at": [at.timestamp() for at in failures]}


def _admin_client() -> Client:
    client = Client(raise_request_exception=False)
    client.force_login(get_user_model().objects.get(username=ADMIN))
    return client


def _outcome(answers, *names: str, file_name: str | None = None) -> dict:
    return {"statuses": [a.status_code for a in answers], "bodies": [a.content.decode() for a in answers],
            "users": get_user_model().objects.filter(username__in=names).count(),
            "created": Change.objects.filter(entity="user", key__in=names, before__isnull=True).count(),
            "acts": ChangeSet.objects.filter(file_name=file_name).count() if file_name else None,
            "chain": chain_verify().ok}


def create(n: int) -> dict:
    """The same new user created by n requests at once on the create page."""
    clients = [_admin_client() for _ in range(n)]
    unit = Unit.objects.get(code=UNIT)
    data = {"username": "moi-1", "full_name": "Người Mới", "role": Role.TEAM, "unit": unit.pk, "reason": "Mới"}
    answers = burst([lambda c=c: c.post(reverse("user_create"), data) for c in clients])
    return _outcome(answers, "moi-1")


def _confirmation(client: Client, rows: list[str], file_name: str) -> dict:
    """Preview a users file; return the fields of its confirmation."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    data = ("ten_dang_nhap,ho_ten,vai_tro,ma_don_vi\r\n" + "\r\n".join(rows) + "\r\n").encode()
    preview = client.post(reverse("users_import"), {"campaign": Campaign.objects.get().pk,
                                                    "tep": SimpleUploadedFile(file_name, data, "text/csv")})
    return {field.name: field.value() for field in preview.context["confirm_form"]}


def import_confirm(n: int) -> dict:
    """One previewed users file confirmed by n requests at once."""
    clients = [_admin_client() for _ in range(n)]
    fields = _confirmation(clients[0], [f"nhap-1,Một,to,{UNIT}", "nhap-2,Hai,xem,"], "nhap.csv")
    answers = burst([lambda c=c: c.post(reverse("users_import"), fields) for c in clients])
    return _outcome(answers, "nhap-1", "nhap-2", file_name="nhap.csv")


def import_files(n: int) -> dict:
    """n previewed files, each creating the same user, confirmed at once."""
    clients = [_admin_client() for _ in range(n)]
    fields = [_confirmation(c, [f"chung-1,Tên {i},to,{UNIT}"], f"tep-{i}.csv") for i, c in enumerate(clients)]
    answers = burst([lambda c=c, f=f: c.post(reverse("users_import"), f) for c, f in zip(clients, fields,
                                                                                       strict=True)])
    outcome = _outcome(answers, "chung-1")
    outcome["acts"] = ChangeSet.objects.filter(file_name__startswith="tep-").count()
    return outcome


SCENARIOS = {"setup": setup, "login_name": login_name, "login_address": login_address, "create": create,
             "import_confirm": import_confirm, "import_files": import_files}

if __name__ == "__main__":
    setup_test_environment()  # the test client's host name, and the context of the pages it renders
    scenario, *args = sys.argv[1:]
    print(json.dumps(SCENARIOS[scenario](*map(int, args)), ensure_ascii=False))
