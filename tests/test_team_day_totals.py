"""The team-day and commune-day totals are kept by the database itself (intake migrations 0007 and 0009): whatever
writes an intake record — the ORM, a queryset's update, raw SQL, a delete — its team-day and commune-day totals move in
the same transaction; what the totals cannot tell (a record moved or deleted, a unit, machine or assignment written)
bumps the campaign's epoch.
Run on both databases, like every test: the triggers are written once for each."""

import datetime as dt

import pytest
from django.db import connection
from django.db.models import Count, F, Sum
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from thidua.audit.services import changeset_open
from thidua.intake.integrity import data_verify
from thidua.intake.models import (
    Assignment,
    CommuneDayTotal,
    EligiblePopulation,
    IntakeRecord,
    Machine,
    TeamDayTotal,
    TotalsEpoch,
)
from thidua.units.models import Kind, Unit

pytestmark = pytest.mark.django_db


def by_records(campaign, key: str = "team_id") -> dict:
    return {(t, d): (n, c) for t, d, n, c in IntakeRecord.objects.filter(campaign=campaign)
            .values_list(key, "day").annotate(n=Sum("applications"), c=Count("id")).order_by()}


def by_totals(campaign, key: str = "team_id") -> dict:
    model = TeamDayTotal if key == "team_id" else CommuneDayTotal
    return {(t, d): (n, c) for t, d, n, c in model.objects.filter(campaign=campaign)
            .values_list(key, "day", "applications", "records")}


def all_equal(campaign) -> bool:
    """Whether the team-day and the commune-day totals are both those of the records."""
    return all(by_totals(campaign, key) == by_records(campaign, key) for key in ("team_id", "commune_id"))


def epoch(campaign) -> int:
    return TotalsEpoch.objects.filter(campaign=campaign).values_list("epoch", flat=True).first() or 0


def act(campaign):
    return changeset_open(campaign=campaign, actor="kiem-thu", source="cli")


@pytest.fixture
def record(campaign):
    return IntakeRecord.objects.filter(campaign=campaign).order_by("pk").first()


def test_the_base_data_imported_has_its_totals(campaign):
    totals, communes = by_totals(campaign), by_totals(campaign, "commune_id")
    assert totals and totals == by_records(campaign)
    assert communes and communes == by_records(campaign, "commune_id")


def test_a_new_record_with_its_act_moves_its_total_and_not_the_epoch(campaign, record):
    before, e = by_totals(campaign)[record.team_id, record.day], epoch(campaign)
    other = Machine.objects.filter(campaign=campaign).exclude(pk=record.machine_id).first()
    a = act(campaign)
    IntakeRecord.objects.create(campaign=campaign, day=record.day, machine=other, commune=record.commune,
                                team_id=record.team_id, applications=7, changeset=a, created_in=a)
    total = TeamDayTotal.objects.get(campaign=campaign, team_id=record.team_id, day=record.day)
    assert (total.applications, total.records) == (before[0] + 7, before[1] + 1)
    assert total.changed_in_id == a.pk and epoch(campaign) == e
    assert CommuneDayTotal.objects.get(campaign=campaign, commune_id=record.commune_id,
                                       day=record.day).changed_in_id == a.pk
    assert all_equal(campaign)


def test_a_record_rewritten_by_a_new_act_names_it(campaign, record):
    e, a = epoch(campaign), act(campaign)
    record.applications, record.changeset = record.applications + 5, a
    record.save(update_fields=["applications", "changeset"])
    assert TeamDayTotal.objects.get(campaign=campaign, team_id=record.team_id, day=record.day).changed_in_id == a.pk
    assert CommuneDayTotal.objects.get(campaign=campaign, commune_id=record.commune_id,
                                       day=record.day).changed_in_id == a.pk
    assert epoch(campaign) == e and all_equal(campaign)


def test_a_record_rewritten_without_a_new_act_bumps_the_epoch(campaign, record):
    e = epoch(campaign)
    IntakeRecord.objects.filter(pk=record.pk).update(applications=record.applications + 3)
    assert epoch(campaign) == e + 1 and all_equal(campaign)


def test_raw_sql_is_counted_too(campaign, record):
    other = Machine.objects.filter(campaign=campaign).exclude(pk=record.machine_id).last()
    a = act(campaign)
    with connection.cursor() as cursor:
        cursor.execute("INSERT INTO intake_intakerecord (campaign_id, day, machine_id, commune_id, team_id, "
                       "applications, changeset_id, created_in_id) VALUES (%s, %s, %s, %s, %s, %s, %s, %s)",
                       [campaign.pk, dt.date(2021, 6, 30), other.pk, record.commune_id, record.team_id, 11, a.pk,
                        a.pk])
    assert by_totals(campaign)[record.team_id, dt.date(2021, 6, 30)] == (11, 1)
    assert all_equal(campaign)


@pytest.mark.parametrize("field", ["team", "day", "commune"])
def test_a_record_moved_to_another_team_day_or_commune_leaves_its_old_total_and_bumps_the_epoch(campaign, record,
                                                                                                field):
    e = epoch(campaign)
    if field == "team":
        to = Unit.objects.filter(campaign=campaign, kind=Kind.TO).exclude(pk=record.team_id).first()
        IntakeRecord.objects.filter(pk=record.pk).update(team=to)
    elif field == "commune":
        taken = IntakeRecord.objects.filter(machine_id=record.machine_id, day=record.day).values("commune_id")
        to = EligiblePopulation.objects.filter(campaign=campaign).exclude(commune_id__in=taken).first()
        IntakeRecord.objects.filter(pk=record.pk).update(commune_id=to.commune_id)
    else:
        IntakeRecord.objects.filter(pk=record.pk).update(day=dt.date(2021, 6, 29))
    # The old total's campaign and the new one's (the same here), by the totals moved (a day: both kinds of totals).
    assert epoch(campaign) >= e + 2
    assert all_equal(campaign)


def test_deleting_every_record_of_a_team_day_removes_its_total(campaign, record):
    e = epoch(campaign)
    IntakeRecord.objects.filter(campaign=campaign, team_id=record.team_id, day=record.day).delete()
    assert (record.team_id, record.day) not in by_totals(campaign)
    assert epoch(campaign) > e and all_equal(campaign)


def test_units_machines_and_assignments_bump_the_epoch(campaign):
    seen = [epoch(campaign)]

    def moved() -> bool:
        seen.append(epoch(campaign))
        return seen[-1] > seen[-2]

    unit = Unit.objects.filter(campaign=campaign, kind=Kind.TO).first()
    unit.name += " (đổi tên)"
    unit.save()
    assert moved()
    machine = Machine.objects.create(campaign=campaign, code="M-MOI-01")
    assert moved()
    Assignment.objects.create(machine=machine, team=unit, start=dt.date(2021, 3, 1), end=dt.date(2021, 3, 5),
                              daily_target=10)
    assert moved()
    Assignment.objects.filter(machine=machine).update(daily_target=12)
    assert moved()
    Assignment.objects.filter(machine=machine).delete()
    assert moved()
    Machine.objects.filter(pk=machine.pk).delete()
    assert moved()


operations = st.lists(st.tuples(st.sampled_from(["add", "set", "set-no-act", "move-team", "move-day", "move-commune",
                                                 "delete"]),
                                st.integers(0, 10_000), st.integers(0, 500)), min_size=1, max_size=12)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(operations)
def test_any_sequence_of_writes_keeps_every_total_equal_to_its_records(campaign, ops):
    teams = list(Unit.objects.filter(campaign=campaign, kind=Kind.TO).values_list("pk", flat=True))
    machines = list(Machine.objects.filter(campaign=campaign).values_list("pk", flat=True))
    communes = list(EligiblePopulation.objects.filter(campaign=campaign).values_list("commune_id", flat=True))
    days = [dt.date(2021, 3, 1) + dt.timedelta(days=i) for i in range(5)]
    a = act(campaign)
    for op, pick, n in ops:
        records = list(IntakeRecord.objects.filter(campaign=campaign).order_by("pk").values_list("pk", flat=True))
        pk = records[pick % len(records)] if records else None
        if op == "add" or pk is None:
            key = dict(machine_id=machines[pick % len(machines)], day=days[pick % len(days)],
                       commune_id=communes[pick % len(communes)])
            if not IntakeRecord.objects.filter(**key).exists():
                IntakeRecord.objects.create(campaign=campaign, team_id=teams[pick % len(teams)], applications=n,
                                            changeset=a, created_in=a, **key)
        elif op == "set":
            a = act(campaign)
            IntakeRecord.objects.filter(pk=pk).update(applications=n, changeset=a)
        elif op == "set-no-act":
            IntakeRecord.objects.filter(pk=pk).update(applications=n)
        elif op == "move-team":
            IntakeRecord.objects.filter(pk=pk).update(team_id=teams[n % len(teams)])
        elif op == "move-day":
            target = days[n % len(days)]
            r = IntakeRecord.objects.get(pk=pk)
            if not IntakeRecord.objects.filter(machine_id=r.machine_id, commune_id=r.commune_id, day=target).exists():
                IntakeRecord.objects.filter(pk=pk).update(day=target)
        elif op == "move-commune":
            target = communes[n % len(communes)]
            r = IntakeRecord.objects.get(pk=pk)
            if not IntakeRecord.objects.filter(machine_id=r.machine_id, commune_id=target, day=r.day).exists():
                IntakeRecord.objects.filter(pk=pk).update(commune_id=target)
        else:
            IntakeRecord.objects.filter(pk=pk).delete()
        assert all_equal(campaign)


def test_verify_names_a_total_changed_behind_the_records_back(campaign, record):
    assert data_verify() is None
    TeamDayTotal.objects.filter(campaign=campaign, team_id=record.team_id, day=record.day).update(
        applications=F("applications") + 1)
    problem = data_verify()
    assert "bảng tổng theo tổ và ngày ghi tổ" in problem and f"{record.day:%d/%m/%Y}" in problem
    TeamDayTotal.objects.filter(campaign=campaign, team_id=record.team_id, day=record.day).delete()
    assert "không có trong bảng tổng" in data_verify()


def test_verify_names_a_commune_total_changed_behind_the_records_back(campaign, record):
    assert data_verify() is None
    where = dict(campaign=campaign, commune_id=record.commune_id, day=record.day)
    CommuneDayTotal.objects.filter(**where).update(applications=F("applications") + 1)
    problem = data_verify()
    assert f"bảng tổng theo xã và ngày ghi xã {record.commune.code}" in problem and f"{record.day:%d/%m/%Y}" in problem
    CommuneDayTotal.objects.filter(**where).delete()
    assert "không có trong bảng tổng theo xã" in data_verify()


def test_a_units_area_and_a_support_deployment_bump_the_epoch(campaign):
    from thidua.intake.models import SupportDeployment

    seen = [epoch(campaign)]

    def moved() -> bool:
        seen.append(epoch(campaign))
        return seen[-1] > seen[-2]

    team = Unit.objects.filter(campaign=campaign, kind=Kind.TO).first()
    commune = EligiblePopulation.objects.filter(campaign=campaign).exclude(commune__in=team.areas.all()).first().commune
    team.areas.add(commune)
    assert moved()
    team.areas.remove(commune)
    assert moved()
    machine = Machine.objects.filter(campaign=campaign).first()
    receiver = Unit.objects.filter(campaign=campaign, kind=Kind.CONG_AN_HUYEN).first()
    SupportDeployment.objects.create(campaign=campaign, machine=machine, receiver=receiver, start=dt.date(2021, 4, 1),
                                     end=dt.date(2021, 4, 5), reason="kiểm thử", created_in=act(campaign))
    assert moved()


def test_the_rules_are_kept_until_what_they_read_changes_and_never_from_inside_a_transaction(committed_campaign):
    from django.db import transaction

    campaign = committed_campaign
    from thidua.intake.rules import IntakeRules

    first = IntakeRules.current(campaign)
    assert IntakeRules.current(campaign) is first
    Machine.objects.create(campaign=campaign, code="M-MOI-99")
    after = IntakeRules.current(campaign)
    assert after is not first and "M-MOI-99" in after.machines
    with transaction.atomic():
        Machine.objects.create(campaign=campaign, code="M-MOI-98")
        inside = IntakeRules.current(campaign)
        assert "M-MOI-98" in inside.machines
        transaction.set_rollback(True)
    # The rolled-back machine's epoch is given again to the next change: the rules read inside were not kept.
    Machine.objects.create(campaign=campaign, code="M-MOI-97")
    again = IntakeRules.current(campaign)
    assert "M-MOI-97" in again.machines and "M-MOI-98" not in again.machines
