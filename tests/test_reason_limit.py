"""One limit for every reason an act records, REASON_MAX: the report page (a correction, a reopening), the import page,
the users pages, the API, the commands, and the service that opens the act, whoever calls it. Longer is refused with a
Vietnamese message and nothing written; exactly REASON_MAX is taken."""

import datetime as dt
import json
import re

import pytest
from conftest import HEADERS, write_sheets
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.urls import reverse

from thidua.accounts.models import Role
from thidua.accounts.services import user_create
from thidua.api.services import token_create
from thidua.audit.models import REASON_MAX, ChangeSet, Source
from thidua.audit.services import ReasonError, changeset_open
from thidua.intake.models import DailyReport, IntakeRecord, ReportStatus
from thidua.intake.services import ReportError, report_reopen, report_submit, report_verify
from thidua.units.models import Unit

pytestmark = pytest.mark.django_db
DAY = "2021-03-10"
HUGE = "R" * 2_000_000
OVER = "R" * (REASON_MAX + 1)
FULL = "R" * REASON_MAX
SAID = "Lý do dài {} ký tự, quá mức 1.000 ký tự: hãy viết ngắn lại."


@pytest.fixture
def day_url(campaign):
    return reverse("report_day", args=[campaign.code, "TO-VTH-1", DAY])


@pytest.fixture
def verified(campaign):
    team = Unit.objects.get(code="TO-VTH-1")
    return report_verify(report=report_submit(campaign=campaign, team=team, day=dt.date(2021, 3, 10), actor="to"),
                         actor="huyen")


def test_a_correction_on_the_report_page_takes_a_reason_of_the_limit_and_no_longer(login, campaign, day_url,
                                                                                  snapshot):
    clerk = login(Role.TEAM, "TO-VTH-1")
    assert clerk.post(day_url, {"n-M-VTH-01-31318": "9", "action": "submit"}).status_code == 302
    before = snapshot()
    for reason, length in ((HUGE, "2.000.000"), (OVER, "1.001")):
        refused = clerk.post(day_url, {"n-M-VTH-01-31318": "10", "action": "save", "reason": reason})
        assert refused.status_code == 400 and SAID.format(length) in refused.content.decode()
        assert snapshot() == before
    assert f'maxlength="{REASON_MAX}"' in clerk.get(day_url).content.decode()
    assert clerk.post(day_url, {"n-M-VTH-01-31318": "10", "action": "save", "reason": FULL}).status_code == 302
    assert IntakeRecord.objects.get(day=DAY, machine__code="M-VTH-01", commune__code="31318").applications == 10


def test_a_reopening_on_the_report_page_takes_no_reason_over_the_limit(login, day_url, verified, snapshot):
    pc06 = login(Role.PC06, "PC06")
    before = snapshot()
    refused = pc06.post(day_url, {"action": "reopen", "reason": HUGE})
    assert refused.status_code == 400 and SAID.format("2.000.000") in refused.content.decode()
    assert snapshot() == before
    assert pc06.post(day_url, {"action": "reopen", "reason": FULL}).status_code == 302
    assert DailyReport.objects.get(team__code="TO-VTH-1", day=DAY).status == ReportStatus.DRAFT


def test_the_import_page_takes_no_reason_over_the_limit(login, campaign, settings, tmp_path, snapshot):
    settings.THIDUA_UPLOAD_DIR = tmp_path / "uploads"
    client = login(Role.PC06, "PC06")
    content = f"{','.join(HEADERS['thu_nhan'])}\r\n01/03/2021,M-VTH-01,31318,86\r\n".encode()
    before = snapshot()
    refused = client.post(reverse("import_upload", args=[campaign.code]),
                          {"tep": SimpleUploadedFile("thu_nhan.csv", content), "sua": "1", "ly_do": OVER})
    assert refused.status_code == 400 and SAID.format("1.001") in refused.content.decode()
    assert snapshot() == before


def test_the_users_pages_take_a_reason_of_the_limit_and_no_longer(login, campaign):
    admin = login(Role.ADMIN, "PC06")
    target = user_create(username="to_nba", password="Mat-khau-2021", role=Role.TEAM, actor="kiem-thu",
                         unit=Unit.objects.get(campaign=campaign, code="TO-NBA-1"))
    url = reverse("user_edit", args=[target.pk])
    data = {"full_name": "Tổ", "role": "cong_an_huyen", "unit": Unit.objects.get(code="CAH-NBA").pk, "active": "on"}
    refused = admin.post(url, {**data, "reason": OVER})
    assert refused.status_code == 400 and "reason" in refused.context["form"].errors
    assert admin.post(url, {**data, "reason": FULL}).status_code == 302
    assert ChangeSet.objects.filter(changes__key="to_nba", reason=FULL).exists()


def test_the_api_takes_no_reason_over_the_limit(client, campaign, verified, snapshot):
    user = user_create(username="api-pc06", password="Mat-khau-2021", role=Role.PC06, actor="kiem-thu",
                       unit=Unit.objects.get(campaign=campaign, code="PC06"))
    headers = {"Authorization": f"Bearer {token_create(user=user, name='kiểm thử', actor='kiem-thu')[1]}"}
    before = snapshot()
    for path, body in ((f"/reports/TO-VTH-1/{DAY}/reopen", {"ly_do": OVER}),
                       ("/intake", {"rows": [{"ngay": DAY, "ma_may": "M-VTH-01", "ma_xa": "31318", "so_ho_so": 1}],
                                    "ly_do": OVER})):
        response = client.post(f"/api/v1/campaigns/{campaign.code}{path}", json.dumps(body),
                                content_type="application/json", headers=headers)
        assert response.status_code in (400, 422) and "dài quá 1000 ký tự" in response.content.decode()
    assert snapshot() == before


def test_the_commands_take_no_reason_over_the_limit(campaign, tmp_path, snapshot, capsys):
    path = write_sheets(tmp_path, {"thu_nhan": [HEADERS["thu_nhan"], [dt.date(2021, 3, 1), "M-VTH-01", "31318", 86]]},
                        "xlsx")
    before = snapshot()
    with pytest.raises(CommandError, match="Không nhập gì"):
        call_command("import", campaign.code, str(path), "--replace", "--reason", OVER)
    assert SAID.format("1.001") in capsys.readouterr().err
    for command, *args in (("advance_campaign", campaign.code, "running"), ("audit", "seal-legacy"),
                           ("audit", "rekey", "--old-key-file", str(path))):
        with pytest.raises(CommandError, match=re.escape(SAID.format("1.001"))):
            call_command(command, *args, "--reason", OVER)
    assert snapshot() == before


def test_the_services_refuse_a_reason_over_the_limit_whoever_calls_them(campaign, verified, snapshot):
    before = snapshot()
    with pytest.raises(ReportError, match="quá mức"):
        report_reopen(report=verified, actor="pc06", reason=OVER, source=Source.API)
    with pytest.raises(ReasonError, match="quá mức"):
        changeset_open(campaign=campaign, actor="kiem-thu", source=Source.CLI, reason=OVER)
    assert snapshot() == before
