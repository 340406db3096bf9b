"""The standings a process keeps are brought up to date act by act (thidua/standings/selectors.py): after any
sequence of acts they equal the standings computed from nothing, and an act that only enters intake makes them read
only the team-day totals it changed. Run on both databases, like every test."""

import contextlib
import dataclasses
import datetime as dt
import gc
import re
import threading
import weakref
from collections import OrderedDict

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from thidua.accounts.models import Role
from thidua.audit.chain import changeset_seal
from thidua.audit.services import changeset_open
from thidua.intake.models import DailyReport, IntakeRecord
from thidua.intake.rules import IntakeRules
from thidua.intake.services import ReportError, report_save, report_submit, report_verify
from thidua.lib import vn
from thidua.monitoring import forecasts
from thidua.monitoring.forecasts import campaign_forecast, commune_forecasts
from thidua.standings import selectors
from thidua.standings.selectors import campaign_standings, forget_standings, scoring_inputs, team_codes_below
from thidua.units.models import Kind, Unit
from thidua.web.templatetags.rows import forget_rows

pytestmark = pytest.mark.django_db

AS_OF = dt.date(2021, 3, 20)


def from_nothing(campaign, as_of=AS_OF):
    inputs = scoring_inputs(campaign, as_of)
    return selectors._campaign_standings(campaign, as_of, inputs, team_codes_below(inputs.units))


def forecast_from_nothing(campaign):
    """Return the groups' and the teams' forecasts computed without anything kept of the rows (nor standings)."""
    memos, forecasts._MEMOS = forecasts._MEMOS, OrderedDict()
    try:
        result = forecasts._campaign_forecast(campaign, AS_OF, from_nothing(campaign))
    finally:
        forecasts._MEMOS = memos
    return result.groups, result.teams


def communes_from_nothing(campaign):
    kept, forecasts._COMMUNES = forecasts._COMMUNES, OrderedDict()
    try:
        return commune_forecasts(campaign, AS_OF)
    finally:
        forecasts._COMMUNES = kept


def same(kept, fresh) -> None:
    assert kept.groups == fresh.groups
    assert kept.teams == fresh.teams
    assert kept.budget == fresh.budget
    assert kept.unverified == fresh.unverified


@pytest.fixture
def slots(campaign):
    """Return (team, day, machine code, commune code) of every record of the base data up to AS_OF."""
    return sorted({(r.team, r.day, r.machine.code, r.commune.code) for r in
                   IntakeRecord.objects.filter(campaign=campaign, day__lte=AS_OF).select_related(
                       "team", "machine", "commune")}, key=lambda s: (s[0].code, s[1], s[2], s[3]))


# Each act, and whether the pages are read after it (several acts between two reads: an update covers them all).
acts = st.lists(st.tuples(st.sampled_from(["enter", "enter", "enter", "submit-verify", "rename", "empty"]),
                          st.integers(0, 10_000), st.integers(0, 250), st.booleans()), min_size=1, max_size=8)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(acts)
def test_after_any_sequence_of_acts_the_kept_standings_equal_those_computed_from_nothing(campaign, slots, sequence):
    forget_standings()
    campaign_standings(campaign, AS_OF)
    for step, (kind, pick, n, look) in enumerate(sequence, start=1):
        team, day, machine, commune = slots[pick % len(slots)]
        if kind == "enter":
            with contextlib.suppress(ReportError):  # a verified day is locked
                report_save(campaign=campaign, team=team, day=day, rows=[(machine, commune, n)], actor="to",
                            reason="kiểm thử: sửa số liệu")
        elif kind == "submit-verify":
            with contextlib.suppress(ReportError):  # already sent or verified
                report_submit(campaign=campaign, team=team, day=day, actor="to")
                report_verify(report=DailyReport.objects.get(team=team, day=day), actor="huyen")
        elif kind == "rename":
            act = changeset_open(campaign=campaign, actor="pc06", source="web", reason="đổi tên")
            Unit.objects.filter(pk=team.pk).update(name=f"Tổ đổi tên {n}")
            changeset_seal(act)
        else:
            changeset_seal(changeset_open(campaign=None, actor="quantri", source="cli"))
        if not look and step < len(sequence):
            continue
        same(campaign_standings(campaign, AS_OF), from_nothing(campaign))
        kept = campaign_forecast(campaign, AS_OF)
        assert (kept.groups, kept.teams) == forecast_from_nothing(campaign)
        assert commune_forecasts(campaign, AS_OF) == communes_from_nothing(campaign)


def test_an_act_that_enters_intake_reads_only_the_totals_it_changed(campaign, slots, monkeypatch):
    before = campaign_standings(campaign, AS_OF)
    read = []
    monkeypatch.setattr(selectors, "scoring_inputs", lambda *a: read.append(a) or scoring_inputs(*a))
    team, day, machine, commune = slots[0]
    report_save(campaign=campaign, team=team, day=day, rows=[(machine, commune, 99)], actor="to")
    with CaptureQueriesContext(connection) as ctx:
        after = campaign_standings(campaign, AS_OF)
    assert not read  # nothing read again from nothing
    assert len(ctx.captured_queries) <= 4  # the head, the changes, the groups, the reports not verified
    assert after.seq > before.seq and not after.stale
    row = next(r for r in after.teams.rows if r.code == team.code)
    assert row.intake == from_nothing(campaign).teams.by_code()[team.code].intake
    same(after, from_nothing(campaign))
    # Competitors without the team are the very rows kept before (not measured again).
    untouched = [r for g in after.groups if g.standings for r in g.standings.rows if r.code != team.parent.code]
    kept = {r.code: r for g in before.groups if g.standings for r in g.standings.rows}
    assert untouched and all(r.days is kept[r.code].days for r in untouched)


def test_a_unit_changed_makes_everything_read_again(campaign, monkeypatch):
    campaign_standings(campaign, AS_OF)
    read = []
    monkeypatch.setattr(selectors, "scoring_inputs", lambda *a: read.append(a) or scoring_inputs(*a))
    act = changeset_open(campaign=campaign, actor="pc06", source="web", reason="đổi tên")
    team = Unit.objects.filter(campaign=campaign, kind=Kind.TO).first()
    Unit.objects.filter(pk=team.pk).update(name="Tổ đổi tên")
    changeset_seal(act)
    after = campaign_standings(campaign, AS_OF)
    assert read and after.teams.by_code()[team.code].name == "Tổ đổi tên"


def test_a_reader_is_not_kept_waiting_behind_an_update(campaign, slots, monkeypatch):
    kept = campaign_standings(campaign, AS_OF)
    team, day, machine, commune = slots[0]
    report_save(campaign=campaign, team=team, day=day, rows=[(machine, commune, 77)], actor="to")
    live = next(iter(selectors._LIVE.values()))
    assert live.lock.acquire()  # another request is bringing them up to date
    try:
        served = campaign_standings(campaign, AS_OF)
    finally:
        live.lock.release()
    assert served.stale and served.seq == kept.seq and served.groups is kept.groups
    fresh = campaign_standings(campaign, AS_OF)
    assert not fresh.stale and fresh.seq > kept.seq


def test_a_reader_during_an_update_is_never_served_the_old_standings_as_new(committed_campaign, monkeypatch):
    """While a request brings the standings up to a new act, another one reading that act's head gets the standings
    of before marked stale (or waits for the new ones): never the old ones as if they were current."""
    campaign = committed_campaign
    kept = campaign_standings(campaign, AS_OF)
    r = IntakeRecord.objects.filter(campaign=campaign, day__lte=AS_OF).select_related("team", "machine",
                                                                                       "commune").first()
    team, day, machine, commune = r.team, r.day, r.machine.code, r.commune.code
    report_save(campaign=campaign, team=team, day=day, rows=[(machine, commune, 66)], actor="to")
    inside, go_on = threading.Event(), threading.Event()
    scored = selectors._campaign_standings

    def slow(*args, **kwargs):
        inside.set()
        go_on.wait(10)
        return scored(*args, **kwargs)

    monkeypatch.setattr(selectors, "_campaign_standings", slow)
    updater = threading.Thread(target=campaign_standings, args=(campaign, AS_OF))
    updater.start()
    try:
        assert inside.wait(10)  # the update is under way, past reading what the act changed
        served = campaign_standings(campaign, AS_OF)
    finally:
        go_on.set()
        updater.join(10)
    assert served.stale and served.seq == kept.seq
    fresh = campaign_standings(campaign, AS_OF)
    assert not fresh.stale and fresh.seq > kept.seq


def test_the_first_reader_waits_when_there_is_nothing_to_serve(campaign):
    forget_standings()
    campaign_standings(campaign, AS_OF)
    live = next(iter(selectors._LIVE.values()))
    live.results.clear()
    got = []
    assert live.lock.acquire()
    reader = threading.Thread(target=lambda: got.append(dataclasses.replace(campaign_standings(campaign, AS_OF))))
    reader.start()
    reader.join(0.3)
    assert reader.is_alive() and not got  # waiting: there is nothing it could be shown
    live.lock.release()
    reader.join(10)
    assert got and not got[0].stale


def test_the_standings_page_shows_an_act_at_once_though_its_rows_are_kept(campaign, slots, login):
    client = login(Role.PC06, "PC06")
    url = reverse("standings", args=[campaign.code]) + f"?ngay={AS_OF.isoformat()}"
    team, day, machine, commune = slots[0]
    before = client.get(url).content.decode()
    row = campaign_standings(campaign, AS_OF).teams.by_code()[team.code]
    report_save(campaign=campaign, team=team, day=day, rows=[(machine, commune, 1234)], actor="to",
                reason="kiểm thử")
    after_row = campaign_standings(campaign, AS_OF).teams.by_code()[team.code]
    after = client.get(url).content.decode()
    shown = f'<td class="num wide">{vn.number(after_row.intake)}</td>'
    assert after_row.intake != row.intake and shown in after and shown not in before
    # Every other row is the same HTML as before (kept), and the page is what rendering it afresh gives.
    forget_rows()
    assert unmasked(client.get(url).content.decode()) == unmasked(after)


def test_the_pages_keep_no_row_an_act_superseded_once_shown_again(campaign, slots, login):
    """What a worker keeps of the pages' rows is their last showing's: a standings row an act replaced is dropped when
    the pages are shown again, not held for thousands of acts (each held object lengthens the garbage collector's
    full passes, which stop every thread of the worker: issue 12)."""
    client = login(Role.PC06, "PC06")
    pages = [reverse(name, args=[campaign.code]) + f"?ngay={AS_OF.isoformat()}"
             for name in ("standings", "forecast", "dashboard")]

    def rows():
        result = campaign_standings(campaign, AS_OF)
        return [*(s for g in result.groups if g.standings for s in g.standings.rows), *result.teams.rows]

    for url in pages:
        assert client.get(url).status_code == 200
    held = {(s.code, id(s)): weakref.ref(s) for s in rows()}
    team, day, machine, commune = slots[0]
    report_save(campaign=campaign, team=team, day=day, rows=[(machine, commune, 1234)], actor="to",
                reason="kiểm thử")
    for url in pages:
        assert client.get(url).status_code == 200
    gc.collect()
    now = {(s.code, id(s)) for s in rows()}
    superseded = {key for key in held if key not in now}
    assert superseded  # the act replaced the team's row and its competitor's (and those re-ranked)
    assert [key for key in superseded if held[key]() is not None] == []


def test_after_an_act_the_dashboard_draws_again_only_the_curves_it_changed(campaign, slots, login, monkeypatch):
    """The province's dashboard draws every competitor's curve; after acts that move one up (the ranks change order),
    only that competitor's curve is computed again, the others found as they were."""
    from thidua.web import dashboard

    client = login(Role.PC06, "PC06")
    url = reverse("dashboard", args=[campaign.code]) + f"?ngay={AS_OF.isoformat()}"
    assert client.get(url).status_code == 200
    drawn = []
    real = dashboard.curve_of
    monkeypatch.setattr(dashboard, "curve_of", lambda row, *a: drawn.append(row.code) or real(row, *a))
    first = [s.code for g in campaign_standings(campaign, AS_OF).groups if g.standings for s in g.standings.rows]

    def below(unit, code):
        return unit is not None and (unit.code == code or below(unit.parent, code))

    team = next(t for t, *_ in slots if below(t, first[-1]))  # a team of the competitor ranked last
    limit = IntakeRules.current(campaign).limit
    days = {}
    for t, day, machine, commune in slots:
        if t == team:
            days.setdefault(day, (machine, commune))
    for day, (machine, commune) in days.items():  # the team's every day at half a machine's limit
        report_save(campaign=campaign, team=team, day=day, rows=[(machine, commune, limit // 2)], actor="to",
                    reason="kiểm thử")
    after = [s.code for g in campaign_standings(campaign, AS_OF).groups if g.standings for s in g.standings.rows]
    assert client.get(url).status_code == 200
    assert after != first  # the ranks changed order
    assert len(drawn) == 1, drawn


def test_rows_read_again_from_nothing_are_found_by_their_values(campaign, login, monkeypatch):
    """Standings read again from nothing are other objects with the same values: the page finds their rows' HTML by
    those values (its table's last showing), renders none again, and is the same page."""
    from thidua.web.templatetags import rows

    client = login(Role.PC06, "PC06")
    url = reverse("standings", args=[campaign.code]) + f"?ngay={AS_OF.isoformat()}"
    before = client.get(url).content.decode()
    rendered = []
    monkeypatch.setattr(rows, "render_to_string", lambda *a, **k: rendered.append(a) or "")
    forget_standings()
    assert unmasked(client.get(url).content.decode()) == unmasked(before)
    assert rendered == []


def unmasked(page: str) -> str:
    """Return a page without its CSRF token (masked anew on every answer)."""
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", page)


def test_a_forecast_under_way_is_not_waited_for_long_the_latest_is_served_and_says_it_is_stale(campaign, slots):
    first = campaign_forecast(campaign, AS_OF)
    team, day, machine, commune = slots[0]
    report_save(campaign=campaign, team=team, day=day, rows=[(machine, commune, 55)], actor="to")
    lock = forecasts._lock_of((campaign.pk, campaign.updated_at, AS_OF))
    assert lock.acquire()  # another request is computing it
    try:
        served = campaign_forecast(campaign, AS_OF)
    finally:
        lock.release()
    assert served.groups is first.groups and served.standings.stale
    fresh = campaign_forecast(campaign, AS_OF)
    assert not fresh.standings.stale and fresh.standings.seq > first.standings.seq


def test_a_reader_that_read_the_head_before_another_brought_them_further_reads_nothing_again(campaign, slots,
                                                                                             monkeypatch):
    campaign_standings(campaign, AS_OF)
    older_head, older_epoch = selectors.history_place(campaign)  # read, then this request waited for the lock…
    team, day, machine, commune = slots[0]
    report_save(campaign=campaign, team=team, day=day, rows=[(machine, commune, 66)], actor="to")
    further = campaign_standings(campaign, AS_OF)  # …while another request brought them up to the new act
    live = next(iter(selectors._LIVE.values()))
    read = []
    monkeypatch.setattr(selectors, "scoring_inputs", lambda *a: read.append(a) or scoring_inputs(*a))
    with live.lock:
        result = selectors._brought_up_to_date(live, campaign, AS_OF, older_head, older_epoch)
    assert not read and result.seq == further.seq > older_head[0]
    same(result, from_nothing(campaign))


def test_the_server_freezes_what_it_holds_after_a_full_read_only(campaign, slots, monkeypatch):
    """gunicorn's post_request hook (thidua/web/serving.py) moves the process's objects out of the garbage collector's
    full passes once after each full read of the standings, not after a request that only brought them up to date."""
    import gc

    from thidua.web import serving

    froze = []
    monkeypatch.setattr(gc, "freeze", lambda: froze.append(selectors.full_reads()))
    monkeypatch.setattr(serving, "_frozen_at", [selectors.full_reads()])
    forget_standings()
    serving.post_request(None, None, {}, None)
    assert froze == []  # nothing read since the last freeze
    campaign_standings(campaign, AS_OF)
    serving.post_request(None, None, {}, None)
    serving.post_request(None, None, {}, None)
    assert froze == [selectors.full_reads()]  # once
    team, day, machine, commune = slots[0]
    report_save(campaign=campaign, team=team, day=day, rows=[(machine, commune, 88)], actor="to")
    campaign_standings(campaign, AS_OF)  # brought up to date: no full read
    serving.post_request(None, None, {}, None)
    assert len(froze) == 1


def test_a_worker_logs_the_garbage_collectors_slow_full_passes(monkeypatch, caplog):
    """gunicorn's post_worker_init hook times the collector's full passes; a slow one is logged after the request
    (thidua/web/serving.py), a quick one and a young generation's are not."""
    import gc

    from thidua.web import serving

    monkeypatch.setattr(gc, "callbacks", [])
    monkeypatch.setattr(gc, "freeze", lambda: None)  # post_request's own work, not this test's
    monkeypatch.setattr(serving, "_gc_slow", type(serving._gc_slow)(maxlen=100))
    serving.post_worker_init(None)
    serving.post_worker_init(None)
    assert gc.callbacks == [serving._time_full_passes]  # once
    clock = iter([10.0, 10.35, 20.0, 20.05, 30.0, 30.9])
    monkeypatch.setattr(serving.time, "perf_counter", lambda: next(clock))
    for generation, collected in ((2, 7), (2, 0), (1, 0)):
        for phase in ("start", "stop"):
            serving._time_full_passes(phase, {"generation": generation, "collected": collected})
    with caplog.at_level("WARNING", logger="thidua.web.serving"):
        serving.post_request(None, None, {}, None)
        serving.post_request(None, None, {}, None)
    said = [r.getMessage() for r in caplog.records if r.name == "thidua.web.serving"]
    assert len(said) == 1 and said[0].startswith("Dọn bộ nhớ toàn phần (gc) trong 0.35 s") and "7 đối tượng" in said[0]
