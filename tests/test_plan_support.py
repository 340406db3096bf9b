"""The support planner on the database (docs/monitoring.md, «Support planner as of E»): `thidua plan-support`, its JSON
contract, its inputs (work left, pace, the pool and capacities), applying a plan (audited, never a machine twice),
ending a deployment early, and the commune rule of the import and the daily report during a deployment.

The base data (tests/conftest.py) with PC06's team PC06-TO (area: commune 31318 of Vị Thanh) holding three machines
for the whole campaign: M-PC06-1 (a total quota, no intake: the default capacity 300), M-PC06-2 and M-PC06-3 (400 a
day). As of 10/03/2021 (E, 113 days before the deadline 01/07/2021), hand-worked:
- CAH-VTH: quota 120 × 127 days = 15.240, intake 185 → work left 15.055 (its district has communes without an
  eligible-population row), pace 185/14; CAH-NBA: quota 90 × 92 + 9.000 = 17.280, intake 105 → 17.175, pace 105/14.
- Both never end at their pace. To be on time: VTH needs ⌈15.055/113 − 185/14⌉ = 121 more a day, NBA 145.
- Sharing 300, 400, 400: VTH {400} and NBA {400, 300} end on E + 37 and E + 25 (VTH {400, 300} and NBA {400}: E + 22
  and E + 43; VTH {400}, NBA {400}: E + 43): latest E + 37, all three machines. Machine-code order: M-PC06-1 (the
  300) must go to NBA; M-PC06-2 reads first of the two 400s and takes the smaller code, CAH-NBA; M-PC06-3 → CAH-VTH.
"""

import datetime as dt
import io
import json
import threading

import pytest
from conftest import form_fields, write_sheets
from django.core.management import CommandError, call_command
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from thidua.audit.models import Change
from thidua.awards.services import campaign_advance
from thidua.campaigns.models import Status
from thidua.exchange.importer import workbook_import
from thidua.intake.integrity import data_verify, records_verify
from thidua.intake.models import IntakeRecord, Machine, SupportDeployment
from thidua.intake.services import ReportError, report_save
from thidua.monitoring.support import SupportError, apply_plan, end_deployment, support_inputs
from thidua.territory.models import AdminUnit
from thidua.units.models import Unit
from thidua.units.selectors import support_areas

pytestmark = pytest.mark.django_db
E = dt.date(2021, 3, 10)
D = dt.date(2021, 7, 1)
CODE = "hau-giang-2021"
PC06 = {
    "don_vi": [["ma_don_vi", "ten_don_vi", "loai", "ma_don_vi_cap_tren", "dia_ban", "nhom_thi_dua"],
               ["PC06-TO", "Tổ cấp CCCD lưu động Phòng PC06", "to", "PC06", "31318", None]],
    "may": [["ma_may", "ma_to", "tu_ngay", "den_ngay", "chi_tieu", "chi_tieu_ngay"],
            ["M-PC06-1", "PC06-TO", None, None, 5000, None],
            ["M-PC06-2", "PC06-TO", None, None, None, 400],
            ["M-PC06-3", "PC06-TO", None, None, None, 400]],
}
INTAKE = ["ngay", "ma_may", "ma_xa", "so_ho_so"]


@pytest.fixture
def pc06(campaign, run_import, write_source):
    """The reference campaign running, with PC06's team and its three machines."""
    report = run_import(write_source(PC06, "csv"))
    assert report.ok, [str(e) for e in report.errors]
    return campaign_advance(campaign=campaign, to=Status.RUNNING, actor="pc06", reason="Phát động")


def plan_json(*args) -> dict:
    out = call_command_text("plan_support", CODE, "--format", "json", *args)
    return json.loads(out)


def call_command_text(*args) -> str:
    buffer = io.StringIO()
    call_command(*args, stdout=buffer)
    return buffer.getvalue()


def test_the_json_contract_and_the_hand_worked_plan(pc06):
    data = plan_json("--as-of", "2021-03-10")
    assert list(data) == ["campaign", "as_of", "pool", "moves", "before", "after", "objective"]
    assert data["campaign"] == CODE and data["as_of"] == "2021-03-10"
    assert data["pool"] == [{"machine": "M-PC06-1", "capacity": 300, "team": "PC06-TO"},
                            {"machine": "M-PC06-2", "capacity": 400, "team": "PC06-TO"},
                            {"machine": "M-PC06-3", "capacity": 400, "team": "PC06-TO"}]
    assert data["moves"] == [
        {"machine": "M-PC06-1", "to": "CAH-NBA", "from": "2021-03-11", "until": "2021-07-01"},
        {"machine": "M-PC06-2", "to": "CAH-NBA", "from": "2021-03-11", "until": "2021-07-01"},
        {"machine": "M-PC06-3", "to": "CAH-VTH", "from": "2021-03-11", "until": "2021-07-01"}]
    assert data["before"] == [{"unit": "CAH-NBA", "work_left": 17175, "projected_on": None, "late": True},
                              {"unit": "CAH-VTH", "work_left": 15055, "projected_on": None, "late": True}]
    assert data["after"] == [{"unit": "CAH-NBA", "work_left": 17175, "projected_on": "2021-04-04", "late": False},
                             {"unit": "CAH-VTH", "work_left": 15055, "projected_on": "2021-04-16", "late": False}]
    assert data["objective"] == {"late": 0, "latest": "2021-04-16", "machines": 3}


def test_never_when_nothing_can_save_a_competitor(pc06):
    data = plan_json("--as-of", "2021-06-30", "--machines", "M-PC06-1")
    assert data["objective"]["latest"] == "never" and data["objective"]["late"] == 2
    assert data["moves"] == [] and data["objective"]["machines"] == 0


def test_work_left_is_the_residents_still_to_serve_when_every_commune_has_its_row(pc06, run_import, write_source):
    district = AdminUnit.objects.get(structure=pc06.structure, code="930")
    communes = list(AdminUnit.objects.filter(parent=district).values_list("code", flat=True))
    rows = [["ma_xa", "so_nguoi_trong_do_tuoi"]] + [[c, 1000] for c in communes if c not in ("31318", "31321")]
    assert run_import(write_source({"dan_so": rows}, "csv")).ok
    # 6.200 − (85 + 60) in 31318, 4.800 − 40 in 31321, 1.000 in each other commune (no intake there).
    expected = (6200 - 145) + (4800 - 40) + 1000 * (len(communes) - 2)
    need = next(n for n in support_inputs(pc06, E).needs if n.unit == "CAH-VTH")
    assert need.work_left == expected
    assert need.pace * 14 == 185


def test_the_capacity_of_a_machine_without_target_is_its_mean_day_of_the_window(pc06, run_import, write_source):
    rows = [INTAKE, [dt.date(2021, 3, 8), "M-PC06-1", "31318", 250], [dt.date(2021, 3, 9), "M-PC06-1", "31318", 101]]
    assert run_import(write_source({"thu_nhan": rows}, "csv")).ok
    pool = {m.machine: m.capacity for m in support_inputs(pc06, E).pool}
    assert pool == {"M-PC06-1": 175, "M-PC06-2": 400, "M-PC06-3": 400}  # ⌊351 / 2⌋


def test_machines_narrow_the_pool_and_one_outside_is_refused(pc06):
    data = plan_json("--as-of", "2021-03-10", "--machines", "M-PC06-2,M-PC06-3")
    assert [m["machine"] for m in data["pool"]] == ["M-PC06-2", "M-PC06-3"]
    with pytest.raises(CommandError, match="«M-VTH-01» không có trong nhóm máy hỗ trợ"):
        call_command("plan_support", CODE, "--as-of", "2021-03-10", "--machines", "M-VTH-01")


@pytest.mark.parametrize(("args", "message"), [
    (("--as-of", "2021-02-01"), "trước ngày bắt đầu"),
    (("--as-of", "2021-07-01"), "trước hạn cuối"),
    (("--as-of", "2021-03-10", "--apply"), "cần ghi lý do"),
    (("--machines", ","), "ít nhất một mã máy"),
])
def test_errors_are_said_in_vietnamese(pc06, args, message):
    with pytest.raises(CommandError, match=message):
        call_command("plan_support", CODE, *args)


def test_unknown_campaign_refused(pc06):
    with pytest.raises(CommandError, match="Không có đợt thi đua"):
        call_command("plan_support", "khong-co")


def test_the_table_is_in_vietnamese(pc06):
    text = call_command_text("plan_support", CODE, "--as-of", "2021-03-10")
    assert "Kế hoạch điều động máy hỗ trợ, tính đến ngày 10/03/2021" in text
    assert "M-PC06-3         → CAH-VTH Công an thành phố Vị Thanh, từ 11/03/2021 đến 01/07/2021" in text
    assert "15.055" in text and "16/04/2021" in text and "không hoàn thành (trễ)" in text


def test_applying_records_each_move_once_in_the_history(pc06):
    text = call_command_text("plan_support", CODE, "--as-of", "2021-03-10", "--apply", "--reason",
                             "Giao ban ngày 10/03")
    assert "Đã ghi 3 điều động" in text
    made = SupportDeployment.objects.filter(campaign=pc06).order_by("machine__code")
    assert [(d.machine.code, d.receiver.code, d.start, d.end, d.reason) for d in made] == [
        ("M-PC06-1", "CAH-NBA", dt.date(2021, 3, 11), D, "Giao ban ngày 10/03"),
        ("M-PC06-2", "CAH-NBA", dt.date(2021, 3, 11), D, "Giao ban ngày 10/03"),
        ("M-PC06-3", "CAH-VTH", dt.date(2021, 3, 11), D, "Giao ban ngày 10/03")]
    changes = Change.objects.filter(entity="ho_tro").order_by("key")
    assert [c.key for c in changes] == ["M-PC06-1|2021-03-11", "M-PC06-2|2021-03-11", "M-PC06-3|2021-03-11"]
    assert changes[0].before is None and changes[0].after["don_vi_nhan"] == "CAH-NBA"
    assert changes[0].changeset.reason == "Điều động máy hỗ trợ: Giao ban ngày 10/03"
    assert data_verify() is None
    # Applied again: the machines are deployed after E, so out of the pool; nothing is sent twice.
    with pytest.raises(CommandError, match="không điều động máy nào"):
        call_command("plan_support", CODE, "--as-of", "2021-03-10", "--apply", "--reason", "Lần nữa")
    assert plan_json("--as-of", "2021-03-10")["pool"] == []
    assert SupportDeployment.objects.count() == 3


def test_a_plan_seen_before_another_applied_it_is_refused(pc06):
    seen = [("M-PC06-1", "CAH-NBA"), ("M-PC06-2", "CAH-NBA"), ("M-PC06-3", "CAH-VTH")]
    apply_plan(campaign=pc06, as_of=E, machines=["M-PC06-3"], actor="pc06", role="pc06", reason="Trước")
    with pytest.raises(SupportError, match="Kế hoạch đã thay đổi"):
        apply_plan(campaign=pc06, as_of=E, machines=None, actor="pc06", role="pc06", reason="Sau", expected=seen)
    assert SupportDeployment.objects.count() == 1


def test_the_database_refuses_a_machine_deployed_twice_from_one_day(pc06):
    apply_plan(campaign=pc06, as_of=E, machines=["M-PC06-3"], actor="pc06", role="pc06", reason="Lý do")
    d = SupportDeployment.objects.get()
    with pytest.raises(IntegrityError), transaction.atomic():
        SupportDeployment.objects.create(campaign=pc06, machine=d.machine, receiver=d.receiver, start=d.start,
                                         end=d.end, reason="Lần hai", created_in=d.created_in)


@pytest.mark.parametrize("role", ["cong_an_huyen", "to", "hoi_dong", "xem"])
def test_only_pc06_and_admins_apply(pc06, role):
    with pytest.raises(SupportError, match="Chỉ PC06"):
        apply_plan(campaign=pc06, as_of=E, machines=None, actor="x", role=role, reason="Lý do")
    assert not SupportDeployment.objects.exists()


def test_applying_needs_a_running_campaign(campaign, run_import, write_source):
    assert run_import(write_source(PC06, "csv")).ok
    with pytest.raises(SupportError, match="đang diễn ra"):
        apply_plan(campaign=campaign, as_of=E, machines=None, actor="pc06", role="pc06", reason="Lý do")


def test_ending_early_is_audited_and_frees_the_machine(pc06):
    apply_plan(campaign=pc06, as_of=E, machines=["M-PC06-3"], actor="pc06", role="pc06", reason="Lý do")
    d = SupportDeployment.objects.get()
    with pytest.raises(SupportError, match="Cần ghi lý do kết thúc sớm"):
        end_deployment(deployment=d, last_day=dt.date(2021, 4, 1), actor="pc06", role="pc06", reason=" ")
    end_deployment(deployment=d, last_day=dt.date(2021, 4, 1), actor="pc06", role="pc06", reason="Huyện đã kịp")
    d.refresh_from_db()
    assert d.ended_early_on == dt.date(2021, 4, 1) and d.end_reason == "Huyện đã kịp"
    change = Change.objects.filter(entity="ho_tro").order_by("id").last()
    assert change.before["ket_thuc_som"] is None and change.after["ket_thuc_som"] == "2021-04-01"
    assert data_verify() is None
    assert "M-PC06-3" in {m.machine for m in support_inputs(pc06, dt.date(2021, 4, 1)).pool}
    assert "M-PC06-3" not in {m.machine for m in support_inputs(pc06, dt.date(2021, 3, 31)).pool}
    with pytest.raises(SupportError, match="đã kết thúc sớm"):
        end_deployment(deployment=d, last_day=dt.date(2021, 4, 2), actor="pc06", role="pc06", reason="Lại")


def test_a_deployment_changed_in_the_database_is_found_by_verify(pc06):
    apply_plan(campaign=pc06, as_of=E, machines=["M-PC06-3"], actor="pc06", role="pc06", reason="Lý do")
    other = "CAH-VTH" if SupportDeployment.objects.get().receiver.code == "CAH-NBA" else "CAH-NBA"
    SupportDeployment.objects.update(receiver=Unit.objects.get(code=other))
    problem = records_verify()
    assert problem and "Điều động máy hỗ trợ «M-PC06-3|2021-03-11»" in problem and "đơn vị được hỗ trợ" in problem


# --- the commune rule during a deployment -----------------------------------------------------------------------

@pytest.fixture
def deployed(pc06):
    """M-PC06-1 and M-PC06-2 sent to CAH-NBA, M-PC06-3 to CAH-VTH, from 11/03/2021."""
    apply_plan(campaign=pc06, as_of=E, machines=None, actor="pc06", role="pc06", reason="Giao ban")
    return pc06


def test_the_import_takes_a_deployed_machines_intake_in_the_receivers_communes(deployed, run_import, write_source):
    good = [INTAKE, [dt.date(2021, 3, 12), "M-PC06-3", "31321", 120],  # Vị Thanh: CAH-VTH's
            [dt.date(2021, 3, 12), "M-PC06-2", "31340", 200]]  # Ngã Bảy: CAH-NBA's
    report = run_import(write_source({"thu_nhan": good}, "csv"))
    assert report.ok, [str(e) for e in report.errors]
    rows = IntakeRecord.objects.filter(machine__code__in=["M-PC06-2", "M-PC06-3"])
    assert {r.team.code for r in rows} == {"PC06-TO"}  # the machine's intake counts for its own team


@pytest.mark.parametrize(("row", "why"), [
    ([dt.date(2021, 3, 10), "M-PC06-3", "31321", 5], "xã 31321 không thuộc địa bàn của tổ PC06-TO"),  # before
    ([dt.date(2021, 3, 12), "M-PC06-3", "31340", 5], "xã 31340 không thuộc địa bàn của tổ PC06-TO"),  # not VTH's
])
def test_the_import_still_refuses_other_days_and_communes(deployed, run_import, write_source, row, why):
    report = run_import(write_source({"thu_nhan": [INTAKE, row]}, "csv"))
    assert not report.ok and any(why in str(e) for e in report.errors)


def test_the_daily_report_takes_it_on_the_deployments_days_only(deployed):
    team = Unit.objects.get(code="PC06-TO")
    saved = report_save(campaign=deployed, team=team, day=dt.date(2021, 3, 12), actor="to",
                        rows=[("M-PC06-3", "31321", 80)])
    assert saved.added == 1
    with pytest.raises(ReportError, match="xã 31321 không thuộc địa bàn của tổ PC06-TO"):
        report_save(campaign=deployed, team=team, day=dt.date(2021, 3, 9), actor="to",
                    rows=[("M-PC06-3", "31321", 80)])
    d = SupportDeployment.objects.get(machine__code="M-PC06-3")
    end_deployment(deployment=d, last_day=dt.date(2021, 3, 20), actor="pc06", role="pc06", reason="Xong")
    with pytest.raises(ReportError, match="xã 31321 không thuộc địa bàn"):
        report_save(campaign=deployed, team=team, day=dt.date(2021, 3, 21), actor="to",
                    rows=[("M-PC06-3", "31321", 80)])
    assert data_verify() is None


# --- queries and concurrency ------------------------------------------------------------------------------------

def test_the_inputs_take_a_fixed_number_of_queries(pc06, run_import, write_source, django_assert_num_queries):
    with CaptureQueriesContext(connection) as few:
        support_inputs(pc06, E)
    rows = [INTAKE] + [[dt.date(2021, 3, d), m, c, 10] for d in range(4, 10)
                       for m, c in (("M-VTH-01", "31321"), ("M-PC06-1", "31318"), ("M-NBA-01", "31341"))]
    assert run_import(write_source({"thu_nhan": rows}, "csv")).ok
    apply_plan(campaign=pc06, as_of=E, machines=["M-PC06-3"], actor="pc06", role="pc06", reason="Lý do")
    with django_assert_num_queries(len(few)):
        support_inputs(pc06, E)


@pytest.mark.django_db(transaction=True)
def test_two_officers_applying_at_once_send_each_machine_once(committed_campaign, tmp_path):
    path = write_sheets(tmp_path, PC06, "csv")
    assert workbook_import(campaign=committed_campaign, path=path, actor="kiem-thu").ok
    campaign = campaign_advance(campaign=committed_campaign, to=Status.RUNNING, actor="pc06", reason="Phát động")
    errors, barrier = [], threading.Barrier(2)

    def officer(name):
        try:
            barrier.wait()
            apply_plan(campaign=campaign, as_of=E, machines=None, actor=name, role="pc06", reason=f"Của {name}")
        except Exception as exc:  # SQLite: the table locked; PostgreSQL: no machine left in the pool
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=officer, args=(n,)) for n in ("pc06-a", "pc06-b")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    machines = list(SupportDeployment.objects.values_list("machine__code", flat=True))
    assert sorted(machines) == ["M-PC06-1", "M-PC06-2", "M-PC06-3"]
    assert len(errors) == 1, errors
    if connection.vendor == "postgresql":
        # The second waited for the first's lock on the campaign, then found the machines deployed.
        assert isinstance(errors[0], SupportError) and "không điều động máy nào" in str(errors[0])
    assert Machine.objects.filter(code__startswith="M-PC06").count() == 3


# --- the page ---------------------------------------------------------------------------------------------------

@pytest.fixture
def on_e(monkeypatch):
    """Today is E (10/03/2021)."""
    monkeypatch.setenv("THIDUA_SIMULATED_TODAY", E.isoformat())


def test_the_page_shows_the_plan_as_a_chart_and_a_table(pc06, on_e, login):
    response = login("pc06", "PC06").get(reverse("support_plan", args=[CODE]))
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-chart="bieu-do-ho-tro"' in html and '<script type="application/json" id="bieu-do-ho-tro">' in html
    chart = json.loads(html.split('id="bieu-do-ho-tro">')[1].split("</script>")[0])
    assert chart["series"][1]["data"] == [25, 37] and chart["series"][0]["data"] == [None, None]
    assert chart["series"][1]["markLine"]["data"] == [{"xAxis": 113}] and chart["aria"]["decal"]["show"]
    assert chart["yAxis"]["data"] == ["Công an thành phố Ngã Bảy", "Công an thành phố Vị Thanh"]
    assert "15.055" in html and "16/04/2021" in html and "Máy M-PC06-3 đến hỗ trợ Công an thành phố Vị Thanh" in html
    assert 'action="/dot/hau-giang-2021/ho-tro/ap-dung/"' in html and "Áp dụng" in html


@pytest.mark.parametrize(("role", "unit"), [("hoi_dong", None), ("xem", "PC06")])
def test_the_council_and_viewers_read_without_the_forms(pc06, on_e, login, role, unit):
    html = login(role, unit).get(reverse("support_plan", args=[CODE])).content.decode()
    assert "16/04/2021" in html and "ap-dung" not in html


def test_ticking_machines_narrows_the_pool(pc06, on_e, login):
    client = login("pc06", "PC06")
    html = client.get(reverse("support_plan", args=[CODE]), {"chon": "1", "may": ["M-PC06-3"]}).content.decode()
    assert html.count('name="dieu_dong"') == 1
    bad = client.get(reverse("support_plan", args=[CODE]), {"chon": "1", "may": ["M-VTH-01"]})
    assert bad.status_code == 200 and "không có trong nhóm máy hỗ trợ" in bad.content.decode()


def test_applying_on_the_page_needs_a_reason_and_the_confirmation_then_records(pc06, on_e, login):
    client = login("pc06", "PC06")
    page = client.get(reverse("support_plan", args=[CODE])).content.decode()
    fields = form_fields(page, reverse("support_apply", args=[CODE]))
    sent = {**fields, "dieu_dong": [v.split('"')[0] for v in page.split('name="dieu_dong" value="')[1:]]}
    refused = client.post(reverse("support_apply", args=[CODE]), {**sent, "ly_do": "Giao ban"})
    assert refused.status_code == 400 and "Cần đánh dấu xác nhận" in refused.content.decode()
    refused = client.post(reverse("support_apply", args=[CODE]), {**sent, "xac_nhan": "1", "ly_do": " "})
    assert refused.status_code == 400 and "Cần ghi lý do điều động" in refused.content.decode()
    assert not SupportDeployment.objects.exists()
    done = client.post(reverse("support_apply", args=[CODE]), {**sent, "xac_nhan": "1", "ly_do": "Giao ban"})
    assert done.status_code == 302 and SupportDeployment.objects.count() == 3
    again = client.post(reverse("support_apply", args=[CODE]), {**sent, "xac_nhan": "1", "ly_do": "Giao ban"})
    assert again.status_code == 400 and SupportDeployment.objects.count() == 3
    d = SupportDeployment.objects.get(machine__code="M-PC06-3")
    page = client.get(reverse("support_plan", args=[CODE])).content.decode()
    assert reverse("support_end", args=[CODE, d.pk]) in page and "Kết thúc sớm" in page
    ended = client.post(reverse("support_end", args=[CODE, d.pk]), {"ly_do": "Huyện đã kịp"})
    assert ended.status_code == 302
    d.refresh_from_db()
    assert d.ended_early_on == E and d.end_reason == "Huyện đã kịp"
    assert data_verify() is None


def test_the_page_reads_a_bounded_number_of_queries(pc06, on_e, login, django_assert_max_num_queries):
    client = login("pc06", "PC06")
    apply_plan(campaign=pc06, as_of=E, machines=["M-PC06-3"], actor="pc06", role="pc06", reason="Lý do")
    with django_assert_max_num_queries(40):
        assert client.get(reverse("support_plan", args=[CODE])).status_code == 200


def test_a_competitor_without_its_own_area_is_served_in_its_teams_communes(pc06, run_import, write_source):
    rows = [PC06["don_vi"][0], ["CAH-X", "Công an huyện thử", "cong_an_huyen", "PC06", None, "cap_huyen"],
            ["TO-X", "Tổ thử", "to", "CAH-X", "31318;31321", None]]
    assert run_import(write_source({"don_vi": rows}, "csv")).ok
    ids = dict(AdminUnit.objects.filter(code__in=["31318", "31321"]).values_list("code", "id"))
    unit = Unit.objects.get(code="CAH-X")
    assert support_areas(pc06)[unit.id] == frozenset(ids.values())
    # Its work left: both communes have an eligible-population row (6.200 − 145, 4.800 − 40).
    need = next(n for n in support_inputs(pc06, E).needs if n.unit == "CAH-X")
    assert need.work_left == (6200 - 145) + (4800 - 40)
