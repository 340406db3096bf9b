"""The standings are kept per process until the history moves: a new act (a team's day entered, an import, the
campaign's settings) makes them computed again; without one, a page asks the database one question only."""

import dataclasses
import datetime as dt
import re

import pytest
from conftest import ACTOR, CAMPAIGN_FILE, HEADERS
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from thidua.accounts.models import Role
from thidua.accounts.services import user_create
from thidua.campaigns.config import load_config
from thidua.campaigns.models import Campaign
from thidua.campaigns.services import campaign_init
from thidua.intake.services import report_save
from thidua.standings.selectors import campaign_standings
from thidua.units.models import Unit

pytestmark = pytest.mark.django_db

AS_OF = dt.date(2021, 3, 10)


def intake_of(result, code: str) -> int:
    return next(s.intake for s in result.teams.rows if s.code == code)


def test_kept_until_a_new_act_then_computed_again(campaign):
    first = campaign_standings(campaign, AS_OF)
    read_again = Campaign.objects.get(pk=campaign.pk)  # as the next request would
    with CaptureQueriesContext(connection) as ctx:
        again = campaign_standings(read_again, AS_OF)
    assert len(ctx.captured_queries) == 1  # the end of the history, nothing else
    assert again.groups is first.groups and intake_of(again, "TO-VTH-1") == 185

    # A team enters its day on the web: an act of the history.
    report_save(campaign=campaign, team=Unit.objects.get(campaign=campaign, code="TO-VTH-1"), day=dt.date(2021, 3, 4),
                rows=[("M-VTH-01", "31318", 50)], actor="to")
    with CaptureQueriesContext(connection) as ctx:
        after = campaign_standings(campaign, AS_OF)
    assert len(ctx.captured_queries) > 1
    assert intake_of(after, "TO-VTH-1") == 235
    assert campaign_standings(campaign, AS_OF).groups is after.groups


def test_another_date_is_another_result(campaign):
    assert intake_of(campaign_standings(campaign, dt.date(2021, 3, 1)), "TO-VTH-1") == 125
    assert intake_of(campaign_standings(campaign, AS_OF), "TO-VTH-1") == 185
    assert campaign_standings(campaign, dt.date(2021, 3, 1)).as_of == dt.date(2021, 3, 1)


def test_new_settings_are_a_new_result(campaign):
    before = campaign_standings(campaign, AS_OF)
    config = load_config(CAMPAIGN_FILE)
    group = next(g for g in config.groups if g.kind == "scored")
    renamed = dataclasses.replace(group, name="Khối công an cấp huyện (đổi tên)")
    changed = dataclasses.replace(config, groups=tuple(renamed if g is group else g for g in config.groups))
    stale = Campaign.objects.get(pk=campaign.pk)  # read before the change, as a request in flight would
    campaign_init(config=changed, actor=ACTOR, reason="đổi tên nhóm")
    fresh = Campaign.objects.get(pk=campaign.pk)
    assert fresh.updated_at != stale.updated_at
    shown = campaign_standings(fresh, AS_OF)
    assert "Khối công an cấp huyện (đổi tên)" in {g.name for g in shown.groups}
    assert "Khối công an cấp huyện (đổi tên)" not in {g.name for g in before.groups}
    # The instance read before the change gets the standings of the settings it holds, never the newer ones kept.
    assert campaign_standings(stale, AS_OF).groups is not shown.groups


def test_the_caller_gets_its_own_campaign(campaign):
    campaign_standings(campaign, AS_OF)
    other = Campaign.objects.get(pk=campaign.pk)
    assert campaign_standings(other, AS_OF).campaign is other


def test_the_page_shows_an_import_at_once(campaign, client, write_source, run_import):
    user = user_create(username="u-pc06", password="Mat-khau-2021", role=Role.PC06, actor=ACTOR,
                       unit=Unit.objects.get(campaign=campaign, code="PC06"))
    client.force_login(user)
    url = reverse("standings", args=[campaign.code]) + f"?ngay={AS_OF.isoformat()}"

    def vth_intake() -> str:
        body = client.get(url).content.decode()
        row = re.search(r"Công an thành phố Vị Thanh.*?</tr>", body, re.S).group(0)
        return re.sub(r"<[^>]+>", " ", row)

    before = vth_intake()
    assert " 185 " in before
    report = run_import(write_source({"thu_nhan": [HEADERS["thu_nhan"], [dt.date(2021, 3, 5), "M-VTH-01",
                                                                         "31321", 1000]]}, "csv"))
    assert report.ok, [str(e) for e in report.errors]
    assert " 1.185 " in vth_intake()
