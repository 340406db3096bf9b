"""The support planner's seam with the database (docs/monitoring.md, «Support planner as of E»): what each competitor
has left to do, which machines PC06 may send and how much each does a day; the plan itself is the pure core's
(`thidua.scoring.planner`). Applying a plan records each move as a support deployment, an audited act; a deployment
may be ended early, with a reason.

A fixed number of queries whatever the size of the campaign: the scoring's three, the groups, the areas' three, the
population, the intake per commune and per machine-day of the window (GROUP BY in SQL), the deployments.
"""

import dataclasses
import datetime as dt
from collections import defaultdict
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.db.models import Q, Sum

from thidua.accounts.models import Role
from thidua.audit.chain import changeset_seal
from thidua.audit.models import REASON_MAX
from thidua.audit.services import changeset_open, record_change
from thidua.campaigns import clock
from thidua.campaigns.models import Campaign, Status
from thidua.intake.models import EligiblePopulation, IntakeRecord, Machine, SupportDeployment
from thidua.lib import vn
from thidua.lib.text import has_control
from thidua.scoring import core, forecast
from thidua.scoring.planner import Need, Plan, PlanError, PoolMachine, plan
from thidua.standings.selectors import default_as_of, forget_standings, scoring_inputs, team_codes_below
from thidua.units.selectors import areas_and_support_areas

ENTITY = "ho_tro"
APPLY_ROLES = frozenset({Role.PC06, Role.ADMIN})
READ_ROLES = frozenset({Role.PC06, Role.ADMIN, Role.COUNCIL, Role.VIEWER})
ONLY_PC06 = "Chỉ PC06 (hoặc Quản trị) áp dụng kế hoạch hỗ trợ và kết thúc sớm việc hỗ trợ."
NOT_RUNNING = "Đợt thi đua đang ở trạng thái «{status}»: chỉ điều động máy hỗ trợ khi đợt thi đua đang diễn ra."
PLAN_CHANGED = ("Kế hoạch đã thay đổi từ lúc xem (có máy vừa được điều động hoặc số liệu vừa cập nhật): xem lại kế "
                "hoạch mới rồi áp dụng.")


class SupportError(Exception):
    """A plan or a deployment refused; the message is the user's, in Vietnamese."""


@dataclass(frozen=True)
class Competitor:
    code: str
    name: str
    unit_id: int
    quota: int
    intake: int


@dataclass(frozen=True)
class SupportInputs:
    campaign: Campaign
    as_of: dt.date
    deadline: dt.date
    competitors: tuple[Competitor, ...]  # by code
    needs: tuple[Need, ...]
    pool: tuple[PoolMachine, ...]  # by machine code
    names: dict[str, str]  # unit code -> name


def check_as_of(campaign: Campaign, as_of: dt.date | None) -> dt.date:
    """Return the planning date E (default today capped at the deadline); refuse one before the start or not
    before the deadline."""
    day = as_of or default_as_of(campaign)
    if day < campaign.start:
        raise SupportError(f"Ngày {vn.date(day)} trước ngày bắt đầu {vn.date(campaign.start)}.")
    if day >= campaign.deadline:
        raise SupportError(f"Chỉ lập kế hoạch hỗ trợ trước hạn cuối: ngày {vn.date(day)} không trước hạn cuối "
                           f"{vn.date(campaign.deadline)}.")
    return day


def support_inputs(campaign: Campaign, as_of: dt.date | None = None,
                   machines: list[str] | None = None) -> SupportInputs:
    """Read what the planner needs as of E; `machines` narrows the pool (a machine outside it is refused)."""
    as_of = check_as_of(campaign, as_of)
    config = campaign.config
    inputs = scoring_inputs(campaign, as_of)
    scored = {g.code for g in config.groups if g.kind == "scored"}
    group_ids = {pk for code, pk in campaign.groups.values_list("code", "id") if code in scored}
    teams_below = team_codes_below(inputs.units)
    competitor_ids = sorted((pk for pk, u in inputs.units.items() if u[4] in group_ids),
                            key=lambda pk: inputs.units[pk][0])
    competing_teams = set().union(*(teams_below[pk] for pk in competitor_ids)) if competitor_ids else set()
    by_team = defaultdict(list)
    for a in inputs.assignments:
        by_team[a.team].append(a)
    daily_of = defaultdict(lambda: defaultdict(int))  # team -> day -> applications, up to E
    for team, day, n in inputs.intake:
        if day <= as_of:
            daily_of[team][day] += n
    _, areas = areas_and_support_areas(campaign)
    people = dict(EligiblePopulation.objects.filter(campaign=campaign).values_list("commune_id", "people"))
    served = dict(IntakeRecord.objects.filter(campaign=campaign, day__lte=as_of).values("commune_id")
                  .annotate(n=Sum("applications")).values_list("commune_id", "n"))
    competitors, needs = [], []
    for pk in competitor_ids:
        code, name = inputs.units[pk][0], inputs.units[pk][1]
        teams = teams_below[pk]
        quota = sum(p.amount for p in core.quota_parts([a for t in teams for a in by_team[t]], inputs.period))
        daily = defaultdict(int)
        for t in teams:
            for day, n in daily_of[t].items():
                daily[day] += n
        intake = sum(daily.values())
        area = areas.get(pk, frozenset())
        if area and all(c in people for c in area):
            left = sum(max(0, people[c] - served.get(c, 0)) for c in area)
        else:
            left = max(0, quota - intake)
        pace = forecast.pace(daily, config.start, as_of, config.monitoring.window_days)
        competitors.append(Competitor(code, name, pk, quota, intake))
        needs.append(Need(code, left, pace, receives=bool(teams)))
    pool = _pool(campaign, inputs, as_of, competing_teams)
    if machines is not None:
        pool = _narrowed(pool, machines, as_of)
    names = {u[0]: u[1] for u in inputs.units.values()}
    return SupportInputs(campaign, as_of, config.deadline, tuple(competitors), tuple(needs), pool, names)


def _pool(campaign: Campaign, inputs, as_of: dt.date, competing_teams: set[str]) -> tuple[PoolMachine, ...]:
    """Return the machines held on E by a team under no competitor and not deployed after E, with their capacity."""
    held = {}
    for a in inputs.assignments:
        if a.start <= as_of <= a.end and a.team not in competing_teams:
            held.setdefault(a.machine, a)
    busy = set(SupportDeployment.objects.filter(campaign=campaign).filter(
        Q(ended_early_on__isnull=True, end__gt=as_of) | Q(ended_early_on__gt=as_of)).values_list("machine__code",
                                                                                             flat=True))
    first, _ = forecast.window(campaign.config.start, as_of, campaign.config.monitoring.window_days)
    recorded = defaultdict(list)
    for code, n in (IntakeRecord.objects.filter(campaign=campaign, day__gte=first, day__lte=as_of,
                                                machine__code__in=list(held))
                    .values("machine__code", "day").annotate(n=Sum("applications"))
                    .values_list("machine__code", "n")):
        recorded[code].append(n)
    default = campaign.config.monitoring.default_machine_capacity
    pool = []
    for code, a in sorted(held.items()):
        if code in busy:
            continue
        if a.daily_target is not None:
            capacity = a.daily_target
        elif recorded[code]:  # the days of the window on which it recorded intake (a count of 0 is recorded too)
            capacity = sum(recorded[code]) // len(recorded[code])
        else:
            capacity = default
        pool.append(PoolMachine(code, a.team, capacity))
    return tuple(pool)


def _narrowed(pool: tuple[PoolMachine, ...], machines: list[str], as_of: dt.date) -> tuple[PoolMachine, ...]:
    """Return the pool narrowed to the machines named; refuse a machine that is not in it."""
    codes = {m.machine for m in pool}
    outside = sorted({m for m in machines if m not in codes})
    if outside:
        shown = ", ".join(f"«{m[:40]}»" for m in outside[:10])
        raise SupportError(f"Máy {shown} không có trong nhóm máy hỗ trợ ngày {vn.date(as_of)} (máy của tổ không "
                           "thuộc đơn vị thi đua nào, chưa được điều động sau ngày này).")
    return tuple(m for m in pool if m.machine in set(machines))


def narrowed(inputs: SupportInputs, machines: list[str]) -> SupportInputs:
    """Return the inputs with the pool narrowed to the machines named (a machine outside the pool is refused)."""
    return dataclasses.replace(inputs, pool=_narrowed(inputs.pool, machines, inputs.as_of))


def support_plan(campaign: Campaign, as_of: dt.date | None = None,
                 machines: list[str] | None = None) -> tuple[SupportInputs, Plan]:
    """Return the planner's inputs and its optimal plan as of E."""
    return solved(support_inputs(campaign, as_of, machines))


def solved(inputs: SupportInputs) -> tuple[SupportInputs, Plan]:
    """Return the inputs and their optimal plan."""
    try:
        return inputs, plan(inputs.needs, inputs.pool, inputs.as_of, inputs.deadline)
    except PlanError as exc:
        raise SupportError(str(exc)) from None


def _date_or_none(day: dt.date | None) -> str | None:
    return day.isoformat() if day else None


def plan_json(inputs: SupportInputs, result: Plan) -> dict:
    """Return the plan as the JSON of docs/monitoring.md («plan-support»)."""
    latest = result.objective.latest
    return {
        "campaign": inputs.campaign.code, "as_of": inputs.as_of.isoformat(),
        "pool": [{"machine": m.machine, "capacity": m.capacity, "team": m.team} for m in inputs.pool],
        "moves": [{"machine": m.machine, "to": m.to, "from": m.start.isoformat(), "until": m.end.isoformat()}
                  for m in result.moves],
        "before": [{"unit": o.unit, "work_left": o.work_left, "projected_on": _date_or_none(o.projected_on),
                    "late": o.late} for o in result.before],
        "after": [{"unit": o.unit, "work_left": o.work_left, "projected_on": _date_or_none(o.projected_on),
                   "late": o.late} for o in result.after],
        "objective": {"late": result.objective.late,
                      "latest": latest.isoformat() if isinstance(latest, dt.date) else latest,
                      "machines": result.objective.machines},
    }


# --- deployments ------------------------------------------------------------------------------------------------

def _clean_reason(reason: str, label: str) -> str:
    text = (reason or "").strip()
    if not text:
        raise SupportError(f"Cần ghi {label}.")
    if has_control(text):
        raise SupportError(f"{label.capitalize()} có ký tự điều khiển (như NUL): xóa ký tự đó rồi gửi lại.")
    if len(text) > REASON_MAX - 200:
        raise SupportError(f"{label.capitalize()} dài {vn.number(len(text))} ký tự, quá mức "
                           f"{vn.number(REASON_MAX - 200)} ký tự.")
    return text


def deployment_state(d: SupportDeployment) -> dict:
    """Return what the history records of a deployment (thidua/intake/integrity.py reproduces it)."""
    return {"ma_may": d.machine.code, "don_vi_nhan": d.receiver.code, "tu_ngay": d.start.isoformat(),
            "den_ngay": d.end.isoformat(),
            "ket_thuc_som": d.ended_early_on.isoformat() if d.ended_early_on else None,
            "ly_do": d.reason, "ly_do_ket_thuc": d.end_reason}


def deployment_key(d: SupportDeployment) -> str:
    return f"{d.machine.code}|{d.start.isoformat()}"


def _check_actor(campaign: Campaign, role: str | None) -> Campaign:
    """Refuse anyone but PC06 and admins (role None: the server's operator, on the command line); lock the campaign
    row so that plans applied at once are applied one after the other; refuse a campaign not running."""
    if role is not None and role not in APPLY_ROLES:
        raise SupportError(ONLY_PC06)
    locked = Campaign.objects.select_for_update().get(pk=campaign.pk)
    if locked.status != Status.RUNNING:
        raise SupportError(NOT_RUNNING.format(status=locked.get_status_display()))
    return locked


@transaction.atomic
def apply_plan(*, campaign: Campaign, as_of: dt.date | None, machines: list[str] | None, actor: str,
               role: str | None, reason: str, expected: list[tuple[str, str]] | None = None,
               source: str = "cli") -> list[SupportDeployment]:
    """Record the optimal plan as of E as support deployments, one act; return them.

    The plan is computed again under the campaign's lock: `expected` (machine, receiver) pairs, what the user saw,
    must be what it is now, else nothing is recorded (a plan applied twice sends no machine twice: the second
    time the machines are no longer in the pool, and a unique (machine, start) stops any that slips through).
    """
    reason = _clean_reason(reason, "lý do điều động")
    locked = _check_actor(campaign, role)
    inputs, result = support_plan(locked, as_of, machines)
    moves = [(m.machine, m.to) for m in result.moves]
    if expected is not None and sorted(expected) != moves:
        raise SupportError(PLAN_CHANGED)
    if not moves:
        raise SupportError("Kế hoạch không điều động máy nào: không có gì để áp dụng.")
    machine_ids = dict(Machine.objects.filter(campaign=locked, code__in=[m for m, _ in moves])
                       .values_list("code", "id"))
    receivers = {c.code: c.unit_id for c in inputs.competitors}
    changeset = changeset_open(campaign=locked, actor=actor, source=source,
                               reason=f"Điều động máy hỗ trợ: {reason}")
    made = []
    try:
        with transaction.atomic():
            for move in result.moves:
                made.append(SupportDeployment.objects.create(
                    campaign=locked, machine_id=machine_ids[move.machine], receiver_id=receivers[move.to],
                    start=move.start, end=move.end, reason=reason, created_in=changeset))
    except IntegrityError:
        raise SupportError(PLAN_CHANGED) from None
    for d in made:
        d = SupportDeployment.objects.select_related("machine", "receiver").get(pk=d.pk)
        record_change(changeset, ENTITY, deployment_key(d), None, deployment_state(d))
    changeset_seal(changeset)
    forget_standings()
    return made


@transaction.atomic
def end_deployment(*, deployment: SupportDeployment, last_day: dt.date | None, actor: str, role: str | None,
                   reason: str, source: str = "web") -> SupportDeployment:
    """End a deployment early, with a reason: its last day of support becomes `last_day` (default today)."""
    reason = _clean_reason(reason, "lý do kết thúc sớm")
    locked = _check_actor(deployment.campaign, role)
    d = (SupportDeployment.objects.select_for_update(of=("self",)).select_related("machine", "receiver")
         .get(pk=deployment.pk, campaign=locked))
    last_day = last_day or clock.today()
    if d.ended_early_on is not None:
        raise SupportError(f"Việc hỗ trợ của máy {d.machine.code} đã kết thúc sớm ngày {vn.date(d.ended_early_on)}.")
    if not d.start - dt.timedelta(days=1) <= last_day < d.end:
        raise SupportError(f"Ngày hỗ trợ cuối cùng {vn.date(last_day)} phải trong thời gian điều động, trước "
                           f"{vn.date(d.end)} (từ {vn.date(d.start - dt.timedelta(days=1))}: chưa hỗ trợ ngày nào).")
    before = deployment_state(d)
    d.ended_early_on, d.end_reason = last_day, reason
    d.save(update_fields=["ended_early_on", "end_reason"])
    changeset = changeset_open(campaign=locked, actor=actor, source=source,
                               reason=f"Kết thúc sớm việc hỗ trợ của máy {d.machine.code}: {reason}")
    record_change(changeset, ENTITY, deployment_key(d), before, deployment_state(d))
    changeset_seal(changeset)
    forget_standings()
    return d


def deployments(campaign: Campaign):
    """Return the deployments of a campaign, newest first, with what their lists show."""
    return (SupportDeployment.objects.filter(campaign=campaign).select_related("machine", "receiver")
            .order_by("-start", "machine__code"))

