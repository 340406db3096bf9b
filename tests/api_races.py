"""API writes sent at once, as a threaded server gets them: run by tests/test_api_idempotency.py in a process of its
own against a database of its own (transactions at once cannot happen inside a test's transaction). Each request of
a burst runs in a thread of its own, with its own database connection, all released together.

    python tests/api_races.py SCENARIO [N]   → prints what came of it as one JSON line
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
from django.core.management import call_command  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import setup_test_environment  # noqa: E402

from thidua.accounts.models import Role  # noqa: E402
from thidua.accounts.services import user_create  # noqa: E402
from thidua.api.services import token_create  # noqa: E402
from thidua.audit.chain import chain_verify  # noqa: E402
from thidua.audit.models import ChangeSet  # noqa: E402
from thidua.intake.models import IntakeRecord, TeamDayTotal  # noqa: E402
from thidua.units.models import Unit  # noqa: E402

CODE = "hau-giang-2021"
URL = f"/api/v1/campaigns/{CODE}/intake"
DAY = "2021-03-10"


def setup() -> dict:
    import tempfile

    from conftest import BASE, _load_base, write_sheets

    call_command("migrate", verbosity=0)
    _load_base(write_sheets(Path(tempfile.mkdtemp()), BASE, "xlsx", name="co-so"))
    return {"ok": True}


def _secret(username: str) -> str:
    user = user_create(username=username, password="Mat-khau-2021", role=Role.TEAM, actor="kiem-thu",
                       unit=Unit.objects.get(campaign__code=CODE, code="TO-VTH-1"))
    return token_create(user=user, name="máy tính bảng", actor="kiem-thu")[1]


def _post(secret: str, n: int, commune: str, key: str | None):
    headers = {"Authorization": f"Bearer {secret}"} | ({"Idempotency-Key": key} if key else {})
    body = {"rows": [{"ngay": DAY, "ma_may": "M-VTH-01", "ma_xa": commune, "so_ho_so": n}]}
    response = Client(raise_request_exception=False).post(URL, json.dumps(body), content_type="application/json",
                                                           headers=headers)
    return response.status_code, response.json(), response.headers.get("Idempotent-Replayed")


def _acts() -> int:
    return ChangeSet.objects.filter(changes__entity="thu_nhan").distinct().count()


def same_key(n: int) -> dict:
    """N requests with one Idempotency-Key at once."""
    secret = _secret("to-cung-khoa")
    _post(secret, 1, "31324", None)  # the token's first use is recorded once, before the burst
    before = _acts()
    answers = burst([lambda: _post(secret, 77, "31321", "cung-luc")] * n)
    return {"answers": answers, "acts": _acts() - before,
            "records": IntakeRecord.objects.filter(day=DAY, commune__code="31321").count(),
            "chain": chain_verify().ok}


def many_teams_days(n: int) -> dict:
    """N requests at once, each a day of its own for one team (no key): every one written once, totals exact."""
    secret = _secret("to-nhieu-ngay")
    _post(secret, 1, "31324", None)
    days = [f"2021-04-{d:02d}" for d in range(1, n + 1)]

    def send(day):
        body = {"rows": [{"ngay": day, "ma_may": "M-VTH-01", "ma_xa": "31318", "so_ho_so": 10 + int(day[-2:])}]}
        return Client(raise_request_exception=False).post(URL, json.dumps(body), content_type="application/json",
                                                          headers={"Authorization": f"Bearer {secret}"}).status_code

    statuses = burst([lambda d=d: send(d) for d in days])
    totals = dict(TeamDayTotal.objects.filter(team__code="TO-VTH-1", day__in=days).values_list("day", "applications"))
    return {"statuses": statuses, "totals_right": all(totals.get(dt_) == 10 + dt_.day for dt_ in totals)
            and len(totals) == n, "chain": chain_verify().ok}


SCENARIOS = {"setup": setup, "same_key": same_key, "many_teams_days": many_teams_days}

if __name__ == "__main__":
    setup_test_environment()
    scenario, *args = sys.argv[1:]
    print(json.dumps(SCENARIOS[scenario](*map(int, args)), ensure_ascii=False, default=str))
