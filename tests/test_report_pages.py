"""The daily report pages: a clerk enters and submits the team's day; the district verifies; PC06 reopens.
Every role × own team / another team."""

import datetime as dt
import re

import pytest
from django.test import Client
from django.urls import reverse

from thidua.accounts.models import Role
from thidua.accounts.services import user_create
from thidua.intake.models import DailyReport, IntakeRecord, ReportStatus
from thidua.units.models import Unit

pytestmark = pytest.mark.django_db
DAY = "2021-03-10"



def day_url(campaign, team="TO-VTH-1", day=DAY):
    return reverse("report_day", args=[campaign.code, team, day])


def test_a_clerk_enters_and_submits_the_day(login, campaign):
    client = login(Role.TEAM, "TO-VTH-1")
    page = client.get(day_url(campaign)).content.decode()
    assert "Máy M-VTH-01" in page and 'name="n-M-VTH-01-31318"' in page
    response = client.post(day_url(campaign), {"n-M-VTH-01-31318": "90", "n-M-VTH-01-31321": "", "action": "submit"})
    assert response.status_code == 302
    assert IntakeRecord.objects.get(day=DAY, machine__code="M-VTH-01", commune__code="31318").applications == 90
    assert DailyReport.objects.get(team__code="TO-VTH-1", day=DAY).status == ReportStatus.SUBMITTED


def test_a_bad_count_is_shown_next_to_its_field_and_nothing_is_saved(login, campaign):
    client = login(Role.TEAM, "TO-VTH-1")
    response = client.post(day_url(campaign), {"n-M-VTH-01-31318": "-4", "n-M-VTH-01-31321": "7", "action": "save"})
    assert response.status_code == 400
    body = response.content.decode()
    assert "là số âm" in body and 'aria-invalid="true"' in body
    assert not IntakeRecord.objects.filter(day=DAY).exists()


def test_a_clerk_cannot_see_or_verify_another_teams_day(login, campaign):
    client = login(Role.TEAM, "TO-VTH-1")
    assert client.get(day_url(campaign, team="TO-NBA-1")).status_code == 404
    client.post(day_url(campaign), {"n-M-VTH-01-31318": "9", "action": "submit"})
    assert client.post(day_url(campaign), {"action": "verify"}).status_code == 403


def test_the_district_verifies_and_the_day_is_locked(login, campaign, client):
    login(Role.TEAM, "TO-VTH-1").post(day_url(campaign), {"n-M-VTH-01-31318": "9", "action": "submit"})
    district = login(Role.DISTRICT, "CAH-VTH")
    assert district.post(day_url(campaign), {"action": "verify"}).status_code == 302
    assert DailyReport.objects.get(team__code="TO-VTH-1", day=DAY).status == ReportStatus.VERIFIED
    clerk = login(Role.TEAM, "TO-VTH-1")
    assert clerk.post(day_url(campaign), {"n-M-VTH-01-31318": "10", "action": "save"}).status_code == 403


def test_pc06_reopens_a_verified_day_with_a_reason(login, campaign):
    login(Role.TEAM, "TO-VTH-1").post(day_url(campaign), {"n-M-VTH-01-31318": "9", "action": "submit"})
    login(Role.DISTRICT, "CAH-VTH").post(day_url(campaign), {"action": "verify"})
    pc06 = login(Role.PC06, "PC06")
    assert pc06.post(day_url(campaign), {"action": "reopen", "reason": " "}).status_code == 400
    assert pc06.post(day_url(campaign), {"action": "reopen", "reason": "Tổ ghi nhầm xã"}).status_code == 302
    assert DailyReport.objects.get(team__code="TO-VTH-1", day=DAY).status == ReportStatus.DRAFT
    page = login(Role.TEAM, "TO-VTH-1").get(day_url(campaign)).content.decode()
    assert "Đã được mở lại để sửa" in page and "Gửi bởi" not in page


def test_a_district_cannot_reopen(login, campaign):
    login(Role.TEAM, "TO-VTH-1").post(day_url(campaign), {"n-M-VTH-01-31318": "9", "action": "submit"})
    district = login(Role.DISTRICT, "CAH-VTH")
    district.post(day_url(campaign), {"action": "verify"})
    assert district.post(day_url(campaign), {"action": "reopen", "reason": "x"}).status_code == 403


@pytest.mark.parametrize("role, unit", [(Role.VIEWER, "PC06"), (Role.COUNCIL, None)])
def test_read_only_roles_cannot_enter(login, campaign, role, unit):
    client = login(role, unit)
    assert client.get(day_url(campaign)).status_code == 200
    assert client.post(day_url(campaign), {"n-M-VTH-01-31318": "9", "action": "save"}).status_code == 403


def test_the_day_list_shows_the_teams_in_scope_and_who_has_not_reported(login, campaign):
    district = login(Role.DISTRICT, "CAH-VTH")
    body = district.get(reverse("reports", args=[campaign.code]) + f"?ngay={DAY}").content.decode()
    assert "Tổ cấp CCCD lưu động số 1 Vị Thanh" in body and "Ngã Bảy" not in body
    assert "1 tổ chưa gửi báo cáo" in body
    pc06 = login(Role.PC06, "PC06")
    body = pc06.get(reverse("reports", args=[campaign.code]) + f"?ngay={DAY}").content.decode()
    assert "2 tổ chưa gửi báo cáo" in body


def test_the_day_list_has_a_bounded_number_of_queries(login, campaign, django_assert_max_num_queries):
    client = login(Role.PC06, "PC06")
    with django_assert_max_num_queries(10):
        client.get(reverse("reports", args=[campaign.code]) + f"?ngay={DAY}")


def test_a_date_outside_the_campaign_is_not_found(login, campaign):
    client = login(Role.TEAM, "TO-VTH-1")
    assert client.get(day_url(campaign, day="2021-08-01")).status_code == 404
    assert client.get(day_url(campaign, day=dt.date(2021, 3, 1).strftime("%d-%m-%Y"))).status_code == 404


def cell_url(campaign, team="TO-VTH-1", day=DAY):
    return reverse("report_cell", args=[campaign.code, team, day])


def test_a_field_is_checked_as_it_is_typed_with_the_import_rules(login, campaign):
    client = login(Role.TEAM, "TO-VTH-1")
    bad = client.post(cell_url(campaign), {"o": "n-M-VTH-01-31318", "n-M-VTH-01-31318": "-3"}).content.decode()
    assert "là số âm" in bad and 'aria-invalid="true"' in bad and 'value="-3"' in bad
    text = client.post(cell_url(campaign), {"o": "n-M-VTH-01-31318", "n-M-VTH-01-31318": "mười"}).content.decode()
    assert 'aria-invalid="true"' in text
    good = client.post(cell_url(campaign), {"o": "n-M-VTH-01-31318", "n-M-VTH-01-31318": "12"}).content.decode()
    assert "aria-invalid" not in good and 'value="12"' in good
    assert not IntakeRecord.objects.filter(day=DAY).exists()  # checking saves nothing


def test_checking_a_field_follows_the_scope_and_the_role(login, campaign):
    assert login(Role.TEAM, "TO-VTH-1").post(cell_url(campaign, team="TO-NBA-1"),
                                             {"o": "n-M-NBA-01-31340", "n-M-NBA-01-31340": "1"}).status_code == 404
    assert login(Role.VIEWER, "PC06").post(cell_url(campaign),
                                           {"o": "n-M-VTH-01-31318", "n-M-VTH-01-31318": "1"}).status_code == 403
    assert login(Role.TEAM, "TO-VTH-1").post(cell_url(campaign), {"o": "n-X-1"}).status_code == 404


def sent_verified_reopened(login, campaign):
    """The clerk sends DAY on time, the district verifies it, PC06 reopens it; return PC06's client."""
    login(Role.TEAM, "TO-VTH-1").post(day_url(campaign), {"n-M-VTH-01-31318": "9", "action": "submit"})
    login(Role.DISTRICT, "CAH-VTH").post(day_url(campaign), {"action": "verify"})
    pc06 = login(Role.PC06, "PC06")
    pc06.post(day_url(campaign), {"action": "reopen", "reason": "Tổ ghi nhầm xã"})
    return pc06


def test_a_reopened_day_says_who_reopened_it_and_why(login, campaign):
    sent_verified_reopened(login, campaign)
    body = login(Role.TEAM, "TO-VTH-1").get(day_url(campaign)).content.decode()
    assert "Gửi lần đầu bởi" in body and "Mở lại bởi" in body and "«Tổ ghi nhầm xã»" in body


def test_a_day_sent_again_is_not_late_and_the_page_says_why(login, campaign, monkeypatch):
    monkeypatch.setenv("THIDUA_SIMULATED_TODAY", DAY)  # sent on the day itself: on time
    sent_verified_reopened(login, campaign)
    monkeypatch.setenv("THIDUA_SIMULATED_TODAY", "2021-03-14")
    clerk = login(Role.TEAM, "TO-VTH-1")
    clerk.post(day_url(campaign), {"n-M-VTH-01-31318": "8", "action": "submit"})
    report = DailyReport.objects.get(team__code="TO-VTH-1", day=DAY)
    assert report.status == ReportStatus.SUBMITTED and not report.late
    body = clerk.get(day_url(campaign)).content.decode()
    assert "Trễ hạn tính theo lần gửi đầu tiên" in body and "Gửi lại bởi" in body
    assert 'badge-late' not in body


def test_a_locked_day_tells_its_reader_who_can_reopen_it_and_how(login, campaign):
    login(Role.TEAM, "TO-VTH-1").post(day_url(campaign), {"n-M-VTH-01-31318": "9", "action": "submit"})
    login(Role.DISTRICT, "CAH-VTH").post(day_url(campaign), {"action": "verify"})
    for role, unit in ((Role.TEAM, "TO-VTH-1"), (Role.DISTRICT, "CAH-VTH"), (Role.COUNCIL, None)):
        body = login(role, unit).get(day_url(campaign)).content.decode()
        assert "báo PC06 (hoặc Quản trị): họ mở lại ngày này ngay trên trang này, kèm lý do" in body, role
        assert 'value="save"' not in body
    pc06 = login(Role.PC06, "PC06").get(day_url(campaign)).content.decode()
    assert 'value="reopen"' in pc06 and "báo PC06" not in pc06


def test_a_day_without_a_machine_offers_no_save_button(login, campaign):
    url = day_url(campaign, team="TO-NBA-1", day="2021-02-26")  # its machines start on 01/03
    client = login(Role.DISTRICT, "CAH-NBA")
    body = client.get(url).content.decode()
    assert "Tổ không giữ máy nào trong ngày này" in body and 'value="save"' not in body and 'value="submit"' not in body
    response = client.post(url, {"action": "submit"})
    assert response.status_code == 400
    assert "không giữ máy nào ngày 26/02/2021" in response.content.decode()
    assert not DailyReport.objects.filter(team__code="TO-NBA-1").exists()


def version_of(page: str) -> str:
    return re.search(r'name="phien_ban" value="(\d+)"', page).group(1)


def clerk(campaign, username: str, full_name: str = "") -> Client:
    client = Client()
    client.force_login(user_create(username=username, password="Mat-khau-2021", role=Role.TEAM, actor="kiem-thu",
                                   unit=Unit.objects.get(campaign=campaign, code="TO-VTH-1"), full_name=full_name))
    return client


def test_two_clerks_editing_one_day_the_second_is_told_and_nothing_is_lost(campaign):
    first, second = clerk(campaign, "to-vth-1a", "Trần Thị Thu"), clerk(campaign, "to-vth-1b")
    shown_first = version_of(first.get(day_url(campaign)).content.decode())
    shown_second = version_of(second.get(day_url(campaign)).content.decode())
    assert shown_first == shown_second
    saved = first.post(day_url(campaign), {"n-M-VTH-01-31318": "40", "phien_ban": shown_first, "action": "save"})
    assert saved.status_code == 302
    told = second.post(day_url(campaign), {"n-M-VTH-01-31318": "55", "n-M-VTH-01-31321": "6",
                                           "phien_ban": shown_second, "action": "save"})
    body = told.content.decode()
    assert told.status_code == 400 and "Trong lúc bạn nhập" in body and "đã sửa số liệu ngày này lúc" in body
    assert "Trần Thị Thu (to-vth-1a) đã sửa" in body  # who: named as the history names people
    # The second clerk's numbers are still in the form, what is stored now beside them; nothing of theirs written.
    assert 'value="55"' in body and 'value="6"' in body and "Đang lưu: 40" in body and "Đang lưu: trống" in body
    assert IntakeRecord.objects.get(day=DAY, machine__code="M-VTH-01", commune__code="31318").applications == 40
    assert not IntakeRecord.objects.filter(day=DAY, commune__code="31321").exists()
    # The form now carries the new version: saving again (having looked) goes through.
    again = second.post(day_url(campaign), {"n-M-VTH-01-31318": "55", "n-M-VTH-01-31321": "6",
                                            "phien_ban": version_of(body), "action": "save"})
    assert again.status_code == 302
    assert IntakeRecord.objects.get(day=DAY, machine__code="M-VTH-01", commune__code="31318").applications == 55


@pytest.mark.parametrize("forged", ["abc", "-1", "1" * 40, "1\x00"])
def test_a_forged_version_is_refused_with_a_message(login, campaign, forged):
    client = login(Role.TEAM, "TO-VTH-1")
    response = client.post(day_url(campaign), {"n-M-VTH-01-31318": "9", "phien_ban": forged, "action": "save"})
    assert response.status_code == 400
    if "\x00" not in forged:  # a NUL byte is refused before any view, with the site's own message
        assert "Biểu mẫu thiếu phiên bản" in response.content.decode()
    assert not IntakeRecord.objects.filter(day=DAY).exists()
