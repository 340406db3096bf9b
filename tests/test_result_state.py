"""How final the standings are, said the same way everywhere (documents.md): tạm tính before the campaign is scored
(and for any day before the deadline), sơ bộ while scored, chính thức from the proposal on; the campaign page's
status and next step; the standings workbook downloaded from the site; the prize tiers and the teams' ranking."""

import io

import openpyxl
import pytest
from django.core.management import call_command
from django.urls import reverse
from lifecycle import FORWARD, advance_to

from thidua.accounts.models import Role
from thidua.campaigns.models import ResultState, Status
from thidua.standings.selectors import campaign_standings

pytestmark = pytest.mark.django_db

LIFECYCLE = FORWARD
EXPECTED = {Status.DRAFT: "tam_tinh", Status.RUNNING: "tam_tinh", Status.CLOSED: "tam_tinh",
            Status.SCORED: "so_bo", Status.PUBLISHED: "so_bo", Status.PROPOSED: "chinh_thuc",
            Status.DECIDED: "chinh_thuc", Status.ARCHIVED: "chinh_thuc"}


@pytest.mark.parametrize("status", [Status.DRAFT, *LIFECYCLE])
def test_the_standings_to_the_deadline_are_as_final_as_the_lifecycle_says(campaign, status):
    campaign = advance_to(campaign, status) if status != Status.DRAFT else campaign
    assert campaign.result_state == EXPECTED[status]
    assert campaign_standings(campaign, campaign.deadline).state == EXPECTED[status]


@pytest.mark.parametrize("status", [Status.SCORED, Status.DECIDED])
def test_a_day_before_the_deadline_is_provisional_whatever_the_status(campaign, status):
    campaign = advance_to(campaign, status)
    assert campaign_standings(campaign, campaign.start).state == ResultState.PROVISIONAL


@pytest.mark.parametrize(("status", "words"), [
    (Status.RUNNING, "<strong>Tạm tính</strong> đến hạn cuối 01/07/2021"),
    (Status.SCORED, "Kết quả <strong>sơ bộ</strong> đến hạn cuối 01/07/2021"),
    (Status.PROPOSED, "Kết quả <strong>chính thức</strong> đến hạn cuối 01/07/2021"),
])
def test_the_standings_page_says_how_final_the_results_are(login, campaign, status, words):
    advance_to(campaign, status)
    body = login(Role.VIEWER, None).get(reverse("standings", args=[campaign.code])).content.decode()
    assert words in body
    if status != Status.PROPOSED:
        assert "chính thức</strong>" not in body


def test_the_score_command_says_how_final_the_results_are(campaign, capsys):
    call_command("score", campaign.code)
    assert "Bảng xếp hạng tạm tính đến ngày 01/07/2021" in capsys.readouterr().out
    advance_to(campaign, Status.SCORED)
    capsys.readouterr()  # what the steps printed
    call_command("score", campaign.code)
    assert "Bảng xếp hạng sơ bộ đến ngày 01/07/2021" in capsys.readouterr().out
    advance_to(campaign, Status.PROPOSED)
    capsys.readouterr()
    call_command("score", campaign.code)
    assert "Bảng xếp hạng chính thức đến ngày 01/07/2021" in capsys.readouterr().out


def test_the_campaign_page_shows_its_status_and_next_step(login, campaign):
    client = login(Role.PC06, None)
    body = client.get(reverse("campaign_detail", args=[campaign.code])).content.decode()
    assert "Dự thảo" in body and "Bắt đầu đợt thi đua: nhận số liệu thu nhận" in body and "Tạm tính" in body
    advance_to(campaign, Status.DECIDED)
    body = client.get(reverse("campaign_detail", args=[campaign.code])).content.decode()
    assert "Đã có quyết định" in body and "Lưu trữ: không thay đổi gì nữa" in body and "Chính thức" in body
    advance_to(campaign, Status.ARCHIVED)
    body = client.get(reverse("campaign_detail", args=[campaign.code])).content.decode()
    assert "Đã lưu trữ" in body and "Đã xong: đợt thi đua đã lưu trữ" in body
    assert f"<title>{campaign.name}" in body and "(cap_huyen)" not in body


def test_the_standings_page_shows_the_prize_tiers_with_their_quotas_and_bonus_points(login, campaign):
    body = login(Role.TEAM, "TO-VTH-1").get(reverse("standings", args=[campaign.code])).content.decode()
    assert "Cơ cấu khen thưởng" in body
    for rank, cash, individuals, bonus in (("Hạng Nhất", "10.000.000 đ", 3, 3), ("Hạng Nhì", "7.000.000 đ", 2, 2),
                                           ("Hạng Ba", "5.000.000 đ", 1, 1)):
        row = body.split(f"<td>{rank}</td>", 1)[1].split("</tr>", 1)[0]
        assert cash in row and f'<td class="num">{individuals}</td>' in row and f"+{bonus}" in row
    assert "Xếp hạng các tổ" in body and "Tổ cấp CCCD lưu động số 1 Ngã Bảy" in body


def test_a_prize_is_shown_under_the_name_too_for_phones(login, campaign, write_source, run_import):
    from tests.test_score_command import COMPLETING

    assert run_import(write_source(COMPLETING, "xlsx")).ok
    body = login(Role.TEAM, "TO-VTH-1").get(reverse("standings", args=[campaign.code])).content.decode()
    assert '<span class="prize-inline"><strong>Hạng Nhất</strong>' in body
    assert '<td class="prize"><strong>Hạng Nhất</strong>' in body


@pytest.mark.parametrize("typed", ["15/03/2021", "15/3/2021", "2021-03-15"])
def test_a_date_is_read_day_first_and_shown_day_first(login, campaign, typed):
    body = login(Role.PC06, None).get(reverse("standings", args=[campaign.code]), {"ngay": typed}).content.decode()
    assert "ngày 15/03/2021" in body and 'value="15/03/2021"' in body and 'placeholder="dd/mm/yyyy"' in body
    assert 'type="date"' not in body


@pytest.mark.parametrize("page", ["standings", "unit_detail", "reports"])
def test_a_date_that_is_not_one_is_said_so_or_not_found(login, campaign, page):
    args = [campaign.code, "CAH-VTH"] if page == "unit_detail" else [campaign.code]
    response = login(Role.PC06, None).get(reverse(page, args=args), {"ngay": "31/02/2021"})
    if page == "reports":
        assert response.status_code == 404
    else:
        assert response.status_code == 200
        assert "Ngày «31/02/2021» không hợp lệ (cần dd/mm/yyyy)" in response.content.decode()


def _workbook(response) -> openpyxl.Workbook:
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    return openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content)))


def test_the_standings_workbook_downloads_as_of_the_chosen_day(login, campaign):
    response = login(Role.PC06, None).get(reverse("standings_xlsx", args=[campaign.code]), {"ngay": "15/03/2021"})
    assert 'filename="xep-hang-hau-giang-2021-2021-03-15.xlsx"' in response["Content-Disposition"]
    wb = _workbook(response)
    assert wb["cap_huyen"]["A2"].value == "Bảng xếp hạng tạm tính – Công an cấp huyện"
    assert wb["cap_huyen"]["A3"].value.startswith("Đến ngày 15/03/2021")
    explained = {row[1].value for row in wb["chi_tiet"].iter_rows() if row[1].value}
    assert {"CAH-VTH", "CAH-NBA"} <= explained


def test_a_district_downloads_the_breakdown_of_its_own_points_only(login, campaign):
    wb = _workbook(login(Role.DISTRICT, "CAH-VTH").get(reverse("standings_xlsx", args=[campaign.code])))
    explained = {row[1].value for row in wb["chi_tiet"].iter_rows(min_row=5) if row[1].value}
    assert explained - {"Đơn vị"} == {"CAH-VTH"}  # the header, then its own lines only
    ranked = {row[1].value for row in wb["cap_huyen"].iter_rows(min_row=5) if row[1].value}
    assert {"CAH-VTH", "CAH-NBA"} <= ranked  # the ranking itself is everyone's


def test_the_standings_workbook_is_for_the_campaigns_users_only(client, login, campaign):
    url = reverse("standings_xlsx", args=[campaign.code])
    assert client.get(url).status_code == 302  # signed out: to the login page
    assert login(Role.TEAM, "TO-NBA-1").get(url).status_code == 200
