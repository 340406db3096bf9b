"""District verification at scale: the day's list with each team's count against its daily target, "xác nhận tất
cả" behind a confirmation as one act of the history, and a district's day summary (printable page, workbook)."""

import datetime as dt
import io
from fractions import Fraction

import openpyxl
import pytest
from django.core.management import call_command
from django.urls import reverse

from thidua.accounts.models import Role
from thidua.audit.models import ChangeSet
from thidua.intake.models import Assignment, DailyReport, Machine, ReportStatus
from thidua.intake.services import report_save, report_submit
from thidua.scoring.core import Assignment as Held
from thidua.scoring.core import day_target
from thidua.scoring.rules import Period
from thidua.units.models import Kind, Unit

pytestmark = pytest.mark.django_db
DAY = dt.date(2021, 3, 10)
C = "hau-giang-2021"


def sent(campaign, code, rows):
    team = Unit.objects.get(campaign=campaign, code=code)
    report_save(campaign=campaign, team=team, day=DAY, rows=rows, actor="to")
    report_submit(campaign=campaign, team=team, day=DAY, actor="to")


@pytest.fixture
def day_sent(campaign, monkeypatch):
    """Both teams sent DAY on the day: TO-VTH-1 90 applications (target 120), TO-NBA-1 200 (target 90 + 9000/122)."""
    monkeypatch.setenv("THIDUA_SIMULATED_TODAY", DAY.isoformat())
    sent(campaign, "TO-VTH-1", [("M-VTH-01", "31318", 90)])
    sent(campaign, "TO-NBA-1", [("M-NBA-01", "31340", 150), ("M-NBA-02", "31341", 50)])
    return campaign


def list_url(**query):
    return reverse("reports", args=[C]) + "?" + "&".join(f"{k}={v}" for k, v in {"ngay": DAY, **query}.items())


# --- the daily target ------------------------------------------------------------------------------------------

PERIOD = Period(dt.date(2021, 3, 1), dt.date(2021, 3, 31), frozenset({dt.date(2021, 3, 8)}))


def test_a_machines_daily_target_counts_as_it_is():
    assert day_target([Held("T", "M1", dt.date(2021, 3, 1), dt.date(2021, 3, 31), daily_target=120)],
                      dt.date(2021, 3, 10), PERIOD) == 120


def test_a_total_quota_is_spread_over_the_working_days_of_its_assignment():
    held = [Held("T", "M1", dt.date(2021, 3, 1), dt.date(2021, 3, 10), quota=900)]  # 10 days, one of them off
    assert day_target(held, dt.date(2021, 3, 2), PERIOD) == 100


def test_a_non_working_day_and_a_day_outside_the_assignment_expect_nothing():
    held = [Held("T", "M1", dt.date(2021, 3, 1), dt.date(2021, 3, 10), daily_target=50)]
    assert day_target(held, dt.date(2021, 3, 8), PERIOD) == 0
    assert day_target(held, dt.date(2021, 3, 11), PERIOD) == 0


# --- the day's list ---------------------------------------------------------------------------------------------

def test_the_day_list_shows_each_teams_count_and_its_difference_from_the_daily_target(login, day_sent):
    page = login(Role.PC06, "PC06").get(list_url())
    rows = {r.team.code: r for r in page.context["rows"]}
    assert (rows["TO-VTH-1"].applications, rows["TO-VTH-1"].target, rows["TO-VTH-1"].difference) == (90, 120, -30)
    assert rows["TO-NBA-1"].exact_target == 90 + Fraction(9000, 122)
    assert (rows["TO-NBA-1"].applications, rows["TO-NBA-1"].target, rows["TO-NBA-1"].difference) == (200, 164, 36)
    body = page.content.decode()
    assert "-30" in body and "+36" in body and "chia đều cho các ngày làm việc" in body
    assert page.context["totals"].applications == 290 and page.context["totals"].target == 284


def test_the_day_list_is_filtered_by_unit_and_by_state(login, day_sent):
    client = login(Role.PC06, "PC06")
    assert [r.team.code for r in client.get(list_url(huyen="CAH-NBA")).context["rows"]] == ["TO-NBA-1"]
    DailyReport.objects.filter(team__code="TO-NBA-1").update(status=ReportStatus.VERIFIED)
    waiting = client.get(list_url(trang_thai="cho-xac-nhan")).context["rows"]
    assert [r.team.code for r in waiting] == ["TO-VTH-1"]


def test_a_district_cannot_filter_on_another_district(login, day_sent):
    assert login(Role.DISTRICT, "CAH-VTH").get(list_url(huyen="CAH-NBA")).status_code == 404


@pytest.fixture
def many_teams(campaign):
    """Twelve more teams of CAH-VTH holding a machine each on DAY (written directly: these tests only read)."""
    district = Unit.objects.get(campaign=campaign, code="CAH-VTH")
    for i in range(12):
        team = Unit.objects.create(campaign=campaign, code=f"TO-X-{i}", name=f"Tổ thêm {i}", kind=Kind.TO,
                                   parent=district)
        machine = Machine.objects.create(campaign=campaign, code=f"M-X-{i}")
        Assignment.objects.create(machine=machine, team=team, start=campaign.start, end=campaign.deadline,
                                  daily_target=100 + i)
    return campaign


def test_the_day_list_has_a_bounded_number_of_queries_whatever_the_teams(login, day_sent, many_teams,
                                                                           django_assert_max_num_queries):
    client = login(Role.PC06, "PC06")
    with django_assert_max_num_queries(10):
        assert len(client.get(list_url()).context["rows"]) == 14


# --- xác nhận tất cả ---------------------------------------------------------------------------------------------

def test_verify_all_asks_first_with_the_count_and_changes_nothing(login, day_sent):
    page = login(Role.PC06, "PC06").get(reverse("reports_verify", args=[C]) + f"?ngay={DAY}")
    body = page.content.decode()
    assert "Sẽ xác nhận 2 báo cáo đã gửi (290 hồ sơ)" in body and 'name="to" value="TO-NBA-1"' in body
    assert not DailyReport.objects.filter(status=ReportStatus.VERIFIED).exists()


def test_the_day_list_offers_verify_all_only_to_who_may_verify(login, day_sent):
    link = reverse("reports_verify", args=[C])
    assert link in login(Role.DISTRICT, "CAH-VTH").get(list_url()).content.decode()
    assert link not in login(Role.TEAM, "TO-VTH-1").get(list_url()).content.decode()
    assert link not in login(Role.COUNCIL, None).get(list_url()).content.decode()


def test_verify_all_confirmed_verifies_the_teams_shown_as_one_act(login, day_sent):
    client = login(Role.PC06, "PC06")
    before = ChangeSet.objects.count()
    response = client.post(reverse("reports_verify", args=[C]),
                           {"ngay": DAY, "huyen": "CAH-VTH", "to": ["TO-VTH-1", "TO-NBA-1"]})
    assert response.status_code == 302 and "huyen=CAH-VTH" in response["Location"]
    states = dict(DailyReport.objects.filter(day=DAY).values_list("team__code", "status"))
    assert states == {"TO-VTH-1": ReportStatus.VERIFIED, "TO-NBA-1": ReportStatus.SUBMITTED}  # the filter shown
    assert ChangeSet.objects.count() == before + 1


def test_verify_all_by_a_district_verifies_only_its_own_teams(login, day_sent):
    login(Role.DISTRICT, "CAH-VTH").post(reverse("reports_verify", args=[C]),
                                         {"ngay": DAY, "to": ["TO-VTH-1", "TO-NBA-1"]})
    states = dict(DailyReport.objects.filter(day=DAY).values_list("team__code", "status"))
    assert states == {"TO-VTH-1": ReportStatus.VERIFIED, "TO-NBA-1": ReportStatus.SUBMITTED}


def test_verify_all_says_when_nothing_is_left_to_verify(login, day_sent):
    client = login(Role.PC06, "PC06")
    url = reverse("reports_verify", args=[C])
    client.post(url, {"ngay": DAY, "to": ["TO-VTH-1", "TO-NBA-1"]})
    page = client.post(url, {"ngay": DAY, "to": ["TO-VTH-1", "TO-NBA-1"]}, follow=True)
    assert "Không còn báo cáo nào chờ xác nhận trong danh sách này." in page.content.decode()


def test_the_history_reproduces_the_reports_verified_at_once(login, day_sent):
    login(Role.PC06, "PC06").post(reverse("reports_verify", args=[C]), {"ngay": DAY, "to": ["TO-VTH-1", "TO-NBA-1"]})
    call_command("audit", "verify", stdout=io.StringIO())  # exits non-zero on any discrepancy


# --- a district's summary of the day ----------------------------------------------------------------------------

def summary_url(name="daily_summary", **query):
    return reverse(name, args=[C]) + "?" + "&".join(f"{k}={v}" for k, v in {"ngay": DAY, **query}.items())


def test_a_district_gets_its_own_summary_ready_to_print(login, day_sent):
    page = login(Role.DISTRICT, "CAH-VTH").get(summary_url())
    body = page.content.decode()
    assert page.context["parent"].code == "CAH-VTH" and [r.team.code for r in page.context["rows"]] == ["TO-VTH-1"]
    assert "Tổng hợp báo cáo ngày 10/03/2021" in body and "Công an thành phố Vị Thanh" in body
    assert "Đợt thi đua cao điểm" in body and "data-print" in body and "Cộng 1 tổ" in body


def test_pc06_chooses_the_district_of_a_summary(login, day_sent):
    client = login(Role.PC06, "PC06")
    chooser = client.get(summary_url())
    assert chooser.context["parent"] is None and summary_url(huyen="CAH-NBA").split("?")[1] in \
        chooser.content.decode().replace("&amp;", "&")
    assert [r.team.code for r in client.get(summary_url(huyen="CAH-NBA")).context["rows"]] == ["TO-NBA-1"]


def test_a_clerk_has_no_summary_to_send_up(login, day_sent):
    assert login(Role.TEAM, "TO-VTH-1").get(summary_url()).status_code == 403


def test_the_summary_workbook_holds_the_table_and_its_totals(login, day_sent):
    Unit.objects.filter(code="TO-NBA-1").update(name="=HYPERLINK(\"http://x\")")
    response = login(Role.PC06, "PC06").get(summary_url("daily_summary_xlsx", huyen="CAH-NBA"))
    assert response["Content-Disposition"].endswith('tong-hop-ngay-CAH-NBA-2021-03-10.xlsx"')
    ws = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    cells = [[c.value for c in row] for row in ws.iter_rows()]
    assert cells[0][0].startswith("Đợt thi đua cao điểm") and cells[1][0] == "TỔNG HỢP BÁO CÁO NGÀY 10/03/2021"
    assert cells[2][0] == "Công an thành phố Ngã Bảy"
    team = next(row for row in cells if row[0] == 1)
    assert team == [1, '=HYPERLINK("http://x")', 2, 200, 164, 36, "Đã gửi, chờ xác nhận", None]
    assert ws.cell(cells.index(team) + 1, 2).data_type == "s"  # a text, never a formula
    total = next(row for row in cells if str(row[1]).startswith("Cộng"))
    assert total[2:6] == [2, 200, 164, 36]


def test_the_summary_has_a_bounded_number_of_queries_whatever_the_teams(login, day_sent, many_teams,
                                                                          django_assert_max_num_queries):
    client = login(Role.PC06, "PC06")
    with django_assert_max_num_queries(10):
        assert len(client.get(summary_url(huyen="CAH-VTH")).context["rows"]) == 13
    with django_assert_max_num_queries(10):
        assert client.get(summary_url("daily_summary_xlsx", huyen="CAH-VTH")).status_code == 200


def test_verify_all_says_how_many_confirmed_reports_were_verified_meanwhile(login, day_sent):
    client = login(Role.PC06, "PC06")
    DailyReport.objects.filter(team__code="TO-NBA-1").update(status=ReportStatus.VERIFIED)  # by another hand
    page = client.post(reverse("reports_verify", args=[C]), {"ngay": DAY, "to": ["TO-VTH-1", "TO-NBA-1", "TO-X"]},
                       follow=True)
    body = page.content.decode()
    assert "Đã xác nhận 1 báo cáo ngày 10/03/2021" in body
    assert "1 báo cáo không còn chờ xác nhận nên được để nguyên." in body
