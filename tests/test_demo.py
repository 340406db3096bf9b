"""The demo: the reference campaign with labelled synthetic data, deterministic for a seed."""

import datetime as dt
from pathlib import Path

import pytest
from django.contrib.auth import authenticate

from thidua.accounts.models import Role
from thidua.campaigns.models import Status
from thidua.demo.services import DEMO_PASSWORD, demo_setup
from thidua.demo.synthetic import build_plan
from thidua.intake.models import Assignment, IntakeRecord
from thidua.units.models import Unit

pytestmark = pytest.mark.django_db
REFERENCE = Path(__file__).resolve().parents[1] / "campaigns" / "hau-giang-2021.toml"


@pytest.fixture
def demo_config(tmp_path) -> Path:
    """The reference campaign under another code, so that the demo never meets other tests' campaign."""
    text = REFERENCE.read_text(encoding="utf-8").replace('code = "hau-giang-2021"', 'code = "demo-kiem-thu"')
    path = tmp_path / "demo.toml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def demo(demo_config):
    return demo_setup(seed=7, config_path=demo_config)


def test_demo_is_labelled_synthetic_and_running(demo):
    campaign, _plan, report, _logins = demo
    assert report.ok
    assert campaign.synthetic and campaign.status == Status.RUNNING


def test_demo_has_the_units_of_the_plan(demo):
    campaign = demo[0]
    districts = Unit.objects.filter(campaign=campaign, kind="cong_an_huyen")
    assert districts.count() == 8
    assert all(d.group.code == "cap_huyen" for d in districts)
    for d in districts:
        assert 2 <= d.children.filter(kind="to").count() <= 4
    assert Unit.objects.get(campaign=campaign, code="PC06").group.code == "cap_tinh"
    assert Unit.objects.filter(campaign=campaign, code="PC06-TO", kind="to").exists()


def test_daily_targets_are_in_the_2021_range(demo):
    targets = list(Assignment.objects.filter(machine__campaign=demo[0], daily_target__isnull=False)
                   .values_list("daily_target", flat=True))
    assert targets and all(450 <= t <= 700 for t in targets)
    assert Assignment.objects.filter(machine__campaign=demo[0], quota__isnull=False).exists()


def test_a_provincial_machine_is_lent_to_a_district_mid_campaign(demo):
    spans = list(Assignment.objects.filter(machine__campaign=demo[0], machine__code="M-PC06").order_by("start")
                 .values_list("team__code", "team__parent__kind", "start"))
    assert len(spans) == 2 and spans[0][0] == "PC06-TO"
    assert spans[1][1] == "cong_an_huyen"
    assert spans[0][2] < spans[1][2]


def test_weekends_are_slower(demo):
    by_weekday = {}
    for day, n in IntakeRecord.objects.filter(campaign=demo[0]).values_list("day", "applications"):
        by_weekday.setdefault(day.weekday() >= 5, []).append(n)
    weekday, weekend = (sum(v) / len(v) for v in (by_weekday[False], by_weekday[True]))
    assert weekend < weekday


def test_demo_users_exist_for_every_role(demo):
    logins = demo[3]
    assert {login.role for login in logins} == {r.label for r in Role}
    for login in logins:
        assert authenticate(username=login.username, password=DEMO_PASSWORD) is not None


def test_same_seed_gives_the_same_data(demo):
    campaign = demo[0]
    first = build_plan(campaign, seed=7).sheets
    assert build_plan(campaign, seed=7).sheets == first
    assert build_plan(campaign, seed=8).sheets != first


def test_until_stops_the_intake_at_that_date(demo):
    plan = build_plan(demo[0], seed=7, until=dt.date(2021, 4, 15))
    days = {row[0] for row in plan.sheets["thu_nhan"][1:]}
    assert max(days) <= "2021-04-15"


def test_demo_days_have_their_reports_some_late_and_the_last_day_in_progress(demo_config):
    from thidua.intake.models import DailyReport, ReportStatus

    campaign = demo_setup(seed=7, until=dt.date(2021, 4, 15), config_path=demo_config)[0]
    reports = DailyReport.objects.filter(campaign=campaign)
    assert reports.filter(status=ReportStatus.VERIFIED, late=True).exists()
    last = reports.order_by("-day").first().day
    assert last == dt.date(2021, 4, 15)
    assert set(reports.filter(day=last).values_list("status", flat=True)) == {ReportStatus.SUBMITTED}
    assert not reports.filter(day__lt=last).exclude(status=ReportStatus.VERIFIED).exists()
