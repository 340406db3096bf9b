"""Nominations sent at once, as on a threaded server: run by tests/test_nomination_races.py in a process of its own
against a database of its own (transactions at once cannot happen inside a test's transaction). Each request of a
burst runs in a thread of its own, with its own database connection, all released together.

    python tests/nomination_races.py SCENARIO   → prints what came of it as one JSON line

The campaign is the tests' base dataset with the officers of tests/nominations_support.py, scored, CAH-VTH at
tier 2 (2 places), CAH-NBA at tier 3 (1 place); PC06 has 5 individual places.
"""

import json
import os
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE.parent), str(HERE)]
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "thidua.settings")

import django  # noqa: E402

django.setup()

from bursts import burst  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import setup_test_environment  # noqa: E402
from django.urls import reverse  # noqa: E402

from thidua.accounts.models import Role  # noqa: E402
from thidua.accounts.services import user_create  # noqa: E402
from thidua.api.services import token_create  # noqa: E402
from thidua.audit.chain import chain_verify  # noqa: E402
from thidua.awards.models import ACTIVE_NOMINATION, Nomination  # noqa: E402
from thidua.campaigns.models import Campaign, Status  # noqa: E402
from thidua.units.models import Unit  # noqa: E402

CODE = "hau-giang-2021"
PASSWORD = "Mat-khau-dung-2021"
TEXT = "Trực tiếp thu nhận hồ sơ ban đêm."
USERS = {"nba-1": (Role.DISTRICT, "CAH-NBA"), "nba-2": (Role.DISTRICT, "CAH-NBA"), "vth": (Role.DISTRICT, "CAH-VTH"),
         "vth-2": (Role.DISTRICT, "CAH-VTH"),
         "pc06-1": (Role.PC06, "PC06"), "pc06-2": (Role.PC06, "PC06")}


def setup() -> dict:
    """Migrate, load the base dataset, add the officers, score the campaign and record the prize winners."""
    import tempfile

    from conftest import BASE, _load_base, write_sheets
    from lifecycle import advance_to
    from nominations_support import add_officers, crown

    call_command("migrate", verbosity=0)
    _load_base(write_sheets(Path(tempfile.mkdtemp()), BASE, "xlsx", name="co-so"))
    campaign = Campaign.objects.get(code=CODE)
    add_officers(campaign)
    campaign = advance_to(campaign, Status.SCORED)
    crown(campaign, {"CAH-VTH": 2, "CAH-NBA": 3})
    for name, (role, unit) in USERS.items():
        user_create(username=name, password=PASSWORD, role=role, actor="kiem-thu",
                    unit=Unit.objects.get(campaign=campaign, code=unit))
    return {"campaign": campaign.code, "status": campaign.status}


def _fresh() -> None:
    """Start a burst with no nomination holding a place (the harness's reset, not a user's act)."""
    Nomination.objects.update(status="withdrawn", place=None)


def _page(username: str, quota: str, officer: str):
    client = Client(raise_request_exception=False)
    client.force_login(get_user_model().objects.get(username=username))

    def send():
        response = client.post(reverse("nomination_create", args=[CODE]),
                               {"suat": quota, "ma_can_bo": officer, "thanh_tich": TEXT})
        return {"status": response.status_code, "body": response.content.decode()}
    return send


SECRETS: dict[str, str] = {}


def _api(username: str, unit: str, officer: str):
    if username not in SECRETS:
        user = get_user_model().objects.get(username=username)
        SECRETS[username] = token_create(user=user, name="đua", actor="kiem-thu")[1]
    secret = SECRETS[username]
    client = Client(raise_request_exception=False)

    def send():
        response = client.post(f"/api/v1/campaigns/{CODE}/nominations",
                               json.dumps({"ma_don_vi_de_nghi": unit, "ma_can_bo": officer, "thanh_tich": TEXT}),
                               content_type="application/json", headers={"Authorization": f"Bearer {secret}"})
        return {"status": response.status_code, "body": response.content.decode()}
    return send


def _outcome(answers) -> dict:
    held = Nomination.objects.filter(status__in=ACTIVE_NOMINATION).order_by("place")
    return {"statuses": [a["status"] for a in answers], "bodies": [a["body"] for a in answers],
            "held": [(n.nominating_unit.code, n.officer.code if n.officer_id else None, n.place) for n in held],
            "chain": chain_verify().ok}


def last_place() -> dict:
    """Two people of CAH-NBA, one on the page and one through the API, nominate two officers for its one place."""
    _fresh()
    return _outcome(burst([_page("nba-1", "district:individual:CAH-NBA", "CB-002"),
                           _api("nba-2", "CAH-NBA", "CB-009")]))


def province(n: int) -> dict:
    """n nominations of PC06 at once (two users, page and API alternately) for its 5 individual places."""
    _fresh()
    officers = ["CB-001", "CB-002", "CB-004", "CB-005", "CB-007", "CB-009"][:n]
    requests = [_page("pc06-1", "province:individual:PC06", code) if i % 2 == 0 else _api("pc06-2", "PC06", code)
                for i, code in enumerate(officers)]
    return _outcome(burst(requests))


def same_officer() -> dict:
    """Both districts nominate the officer who served in both (CB-007) at once."""
    _fresh()
    return _outcome(burst([_page("vth", "district:individual:CAH-VTH", "CB-007"),
                           _page("nba-1", "district:individual:CAH-NBA", "CB-007")]))


def _file(username: str, rows: list[str]):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client = Client(raise_request_exception=False)
    client.force_login(get_user_model().objects.get(username=username))
    data = ("ma_don_vi_de_nghi,ma_can_bo,ma_don_vi,thanh_tich\r\n" + "\r\n".join(rows) + "\r\n").encode()

    def send():
        response = client.post(reverse("nominations_upload", args=[CODE]),
                               {"tep_csv": SimpleUploadedFile("de-nghi.csv", data, "text/csv")})
        return {"status": response.status_code, "body": response.content.decode()}
    return send


def file_and_page() -> dict:
    """CAH-VTH's file of two nominations (its two places) and a nomination on the page, at once."""
    _fresh()
    return _outcome(burst([_file("vth", [f"CAH-VTH,CB-001,,{TEXT}", f"CAH-VTH,CB-004,,{TEXT}"]),
                           _page("vth-2", "district:individual:CAH-VTH", "CB-005")]))


SCENARIOS = {"setup": setup, "last_place": last_place, "province": province, "same_officer": same_officer,
             "file_and_page": file_and_page}

if __name__ == "__main__":
    setup_test_environment()
    scenario, *args = sys.argv[1:]
    print(json.dumps(SCENARIOS[scenario](*map(int, args)), ensure_ascii=False))
