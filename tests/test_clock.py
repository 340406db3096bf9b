"""Today as the product sees it: the real date, or the demo's simulated one — used by every default date, late mark
and act of the history, shown on every page, never in production, never on a database of a real campaign."""

import datetime as dt

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone

from thidua.accounts.models import Role
from thidua.audit.models import ChangeSet
from thidua.campaigns import clock
from thidua.campaigns.models import Campaign
from thidua.intake.services import report_save, report_submit
from thidua.standings.selectors import default_as_of
from thidua.units.models import Unit

DAY = dt.date(2021, 5, 15)


@pytest.fixture
def data_dir(settings, tmp_path, monkeypatch):
    monkeypatch.delenv("THIDUA_SIMULATED_TODAY", raising=False)
    settings.DATA_DIR = tmp_path
    return tmp_path


def test_without_a_simulated_day_today_is_today(data_dir):
    assert clock.simulated() is None
    assert clock.today() == timezone.localdate()
    assert abs((clock.now() - timezone.now()).total_seconds()) < 5


def test_the_simulated_day_is_today_at_the_real_time_of_day(data_dir):
    clock.simulated_set(DAY)
    assert (data_dir / "simulated-today").read_text().strip() == "2021-05-15"
    assert clock.today() == DAY
    moment, real = timezone.localtime(clock.now()), timezone.localtime()
    assert moment.date() == DAY and abs(moment.hour * 60 + moment.minute - real.hour * 60 - real.minute) <= 1
    clock.simulated_set(DAY + dt.timedelta(days=1))  # moved by another process: seen at once
    assert clock.today() == DAY + dt.timedelta(days=1)
    clock.simulated_set(None)
    assert clock.today() == timezone.localdate()


def test_the_environment_variable_wins_over_the_file(data_dir, monkeypatch):
    clock.simulated_set(DAY)
    monkeypatch.setenv("THIDUA_SIMULATED_TODAY", "2021-03-01")
    assert clock.today() == dt.date(2021, 3, 1)


def test_production_never_simulates(data_dir, settings, monkeypatch):
    clock.simulated_set(DAY)
    monkeypatch.setenv("THIDUA_SIMULATED_TODAY", "2021-03-01")
    settings.HTTPS = True
    assert clock.simulated() is None and clock.today() == timezone.localdate()


@pytest.mark.django_db
def test_defaults_late_marks_and_acts_follow_the_simulated_day(data_dir, campaign):
    clock.simulated_set(DAY)
    assert default_as_of(campaign) == DAY
    team = Unit.objects.get(campaign=campaign, code="TO-VTH-1")
    campaign.status = "running"
    campaign.save(update_fields=["status"])
    report_save(campaign=campaign, team=team, day=DAY, rows=[("M-VTH-01", "31318", 50)], actor="to")
    on_time = report_submit(campaign=campaign, team=team, day=DAY, actor="to")
    assert not on_time.late and timezone.localtime(on_time.submitted_at).date() == DAY
    assert timezone.localtime(ChangeSet.objects.order_by("-id").first().at).date() == DAY
    clock.simulated_set(DAY + dt.timedelta(days=2))
    earlier = DAY - dt.timedelta(days=1)
    report_save(campaign=campaign, team=team, day=earlier, rows=[("M-VTH-01", "31318", 40)], actor="to")
    assert report_submit(campaign=campaign, team=team, day=earlier, actor="to").late


@pytest.mark.django_db
def test_every_page_says_which_day_is_simulated(data_dir, login, campaign):
    client = login(Role.TEAM, "TO-VTH-1")
    assert "Hôm nay mô phỏng" not in client.get(reverse("home")).content.decode()
    clock.simulated_set(DAY)
    for url in (reverse("home"), reverse("campaign_detail", args=[campaign.code])):
        assert "Hôm nay mô phỏng: 15/05/2021" in client.get(url).content.decode()


@pytest.mark.django_db
def test_the_command_moves_the_day_of_a_demo_database_only(data_dir, campaign, capsys):
    with pytest.raises(CommandError, match="đợt thi đua thật"):
        call_command("simulated_today", "2021-05-15")
    assert clock.simulated() is None
    Campaign.objects.filter(pk=campaign.pk).update(synthetic=True)
    call_command("simulated_today", "2021-05-15")
    assert clock.today() == DAY and "Hôm nay: 15/05/2021 (mô phỏng)." in capsys.readouterr().out
    call_command("simulated_today", "--bo")
    assert clock.simulated() is None


@pytest.mark.django_db
def test_the_command_refuses_in_production(data_dir, settings, campaign):
    Campaign.objects.filter(pk=campaign.pk).update(synthetic=True)
    settings.HTTPS = True
    with pytest.raises(CommandError, match="THIDUA_HTTPS"):
        call_command("simulated_today", "2021-05-15")


def test_a_moment_held_is_now_and_its_day_today_inside_the_block_only(data_dir):
    clock.simulated_set(DAY)
    moment = timezone.make_aware(dt.datetime(2021, 3, 2, 19, 45))
    with clock.at(moment):
        assert clock.now() == moment and clock.today() == dt.date(2021, 3, 2)
    assert clock.today() == DAY
    with pytest.raises(ValueError):
        clock.at(dt.datetime(2021, 3, 2, 19, 45)).__enter__()


@pytest.mark.django_db
def test_an_act_written_while_a_moment_is_held_is_dated_then(data_dir, campaign):
    team = Unit.objects.get(campaign=campaign, code="TO-VTH-1")
    moment = timezone.make_aware(dt.datetime(2021, 3, 2, 19, 45))
    with clock.at(moment):
        report_submit(campaign=campaign, team=team, day=dt.date(2021, 3, 2), actor="kiem-thu")
    assert ChangeSet.objects.latest("seq").at == moment
