"""What the documents say, read once: the frozen standings, who receives what, the numbers and dates the lifecycle
recorded, the intake day by day and the coverage of the eligible residents. Every document is made from these."""

import datetime as dt
from dataclasses import dataclass
from fractions import Fraction

from django.db.models import Sum

from thidua.awards.models import Snapshot
from thidua.awards.money import Line, Money, money
from thidua.awards.selectors import latest_snapshot
from thidua.campaigns.config import DocumentSettings
from thidua.campaigns.models import Campaign, Status
from thidua.intake.models import EligiblePopulation, IntakeRecord
from thidua.lib import vn
from thidua.standings.selectors import team_days
from thidua.territory.models import AdminUnit
from thidua.units.models import Unit

# Documents are made from frozen standings only: from the step "scored" on.
DOCUMENT_STATUSES = (Status.SCORED, Status.PUBLISHED, Status.PROPOSED, Status.DECIDED, Status.ARCHIVED)
# From these on only the council's approved nominations count (before, the Tờ trình lists the proposals).
APPROVED_STATUSES = (Status.PROPOSED, Status.DECIDED, Status.ARCHIVED)

NOT_SCORED = ("Đợt thi đua «{code}» chưa chấm điểm (đang ở bước «{status}»): văn bản chỉ lập được từ bản chốt kết "
              "quả, sau bước «Chấm điểm».")
NO_SETTINGS = ("Cấu hình đợt thi đua «{code}» chưa có bảng [documents] (cơ quan ban hành, căn cứ, người ký, nơi "
               "nhận): thêm vào tệp cấu hình rồi nạp lại (thidua init-campaign).")


class DocumentError(Exception):
    """A document that cannot be made; the message says why, in Vietnamese."""


@dataclass(frozen=True)
class Facts:
    campaign: Campaign
    settings: DocumentSettings
    snapshot: Snapshot
    payload: dict
    money: Money
    proposal_number: int | None
    proposal_date: dt.date | None
    decision_number: int | None
    decision_date: dt.date | None
    decision_signer: str

    @property
    def scored_groups(self) -> list[dict]:
        """Return the snapshot's groups that are ranked (their standings), in the settings' order."""
        return [g for g in self.payload["groups"] if g["kind"] == "scored"]

    @property
    def competitors(self) -> list[dict]:
        return [row for g in self.scored_groups for row in g["standings"]]

    @property
    def quota(self) -> int:
        return sum(row["quota"] or 0 for row in self.competitors)

    @property
    def intake(self) -> int:
        return sum(row["intake"] or 0 for row in self.competitors)

    @property
    def individuals(self) -> list[Line]:
        """Return the individuals in the Vietnamese order of names, then unit, then officer code."""
        return sorted(self.money.individuals, key=lambda line: (vn.name_key(line.name), line.unit, line.code))

    def days_ahead(self, row: dict) -> int | None:
        """Return how many days before the deadline a competitor completed its quota (None: not completed)."""
        if not row["completed_on"]:
            return None
        return (self.campaign.deadline - dt.date.fromisoformat(row["completed_on"])).days


def _date(value: str | None) -> dt.date | None:
    return dt.date.fromisoformat(value) if value else None


def document_facts(campaign: Campaign, snapshot: Snapshot | None = None, *, approved_only: bool | None = None) -> Facts:
    """Return what the documents of a campaign say, from its latest snapshot (or `snapshot`); raise DocumentError
    for a campaign not scored yet or without document settings.

    The nominations counted: the council's approved ones with `approved_only`; by default, before the step
    "proposed", every nomination still in the flow (the Tờ trình lists the proposals), the approved ones after."""
    if campaign.status not in DOCUMENT_STATUSES:
        raise DocumentError(NOT_SCORED.format(code=campaign.code, status=campaign.get_status_display()))
    settings = campaign.config.documents
    if settings is None:
        raise DocumentError(NO_SETTINGS.format(code=campaign.code))
    snapshot = snapshot or latest_snapshot(campaign)
    if snapshot is None:
        raise DocumentError(NOT_SCORED.format(code=campaign.code, status=campaign.get_status_display()))
    try:
        payload = snapshot.payload()
    except ValueError as exc:
        raise DocumentError(str(exc)) from exc
    workflow = campaign.workflow or {}
    proposal, decision = workflow.get("proposal") or {}, workflow.get("decision") or {}
    return Facts(
        campaign=campaign, settings=settings, snapshot=snapshot, payload=payload,
        money=money(campaign, snapshot=snapshot, approved_only=campaign.status in APPROVED_STATUSES
                    if approved_only is None else approved_only),
        proposal_number=proposal.get("number"), proposal_date=_date(proposal.get("date")),
        decision_number=decision.get("number"), decision_date=_date(decision.get("date")),
        decision_signer=decision.get("signer") or settings.decision.signer.name,
    )


def cumulative_intake(campaign: Campaign, competitors: list[str]) -> tuple[list[dt.date], dict[str, list[int]]]:
    """Return the days of the campaign and, for each competitor (unit code), its intake summed up to each day.

    One GROUP BY (team, day) in the database, as the standings read it; each team counts for the competitor above
    it (or itself)."""
    units = {pk: (code, parent) for pk, code, parent in
             Unit.objects.filter(campaign=campaign).values_list("id", "code", "parent_id")}
    wanted = set(competitors)

    def competitor_of(pk: int | None) -> str | None:
        seen = set()
        while pk is not None and pk not in seen:
            seen.add(pk)
            code, parent = units[pk]
            if code in wanted:
                return code
            pk = parent
        return None

    rows = team_days(campaign)
    days = [campaign.start + dt.timedelta(days=i) for i in range((campaign.deadline - campaign.start).days + 1)]
    index = {d: i for i, d in enumerate(days)}
    daily = {code: [0] * len(days) for code in competitors}
    for team_id, raw_day, n in rows:
        day_value = raw_day if isinstance(raw_day, dt.date) else dt.date.fromisoformat(str(raw_day))
        code = competitor_of(team_id)
        if code is not None and day_value in index:
            daily[code][index[day_value]] += int(n)
    cumulative = {}
    for code, values in daily.items():
        total, running = 0, []
        for value in values:
            total += value
            running.append(total)
        cumulative[code] = running
    return days, cumulative


@dataclass(frozen=True)
class Coverage:
    district: str  # "Thành phố Vị Thanh"
    eligible: int
    taken: int

    @property
    def share(self) -> Fraction | None:
        return Fraction(self.taken, self.eligible) if self.eligible else None


def coverage_by_district(campaign: Campaign) -> list[Coverage]:
    """Return, for each district of the territory, its eligible residents and the applications taken by the
    deadline in its communes (two grouped queries)."""
    eligible = dict(EligiblePopulation.objects.filter(campaign=campaign).values("commune__parent_id")
                    .annotate(n=Sum("people")).values_list("commune__parent_id", "n"))
    taken = dict(IntakeRecord.objects.filter(campaign=campaign, day__lte=campaign.deadline)
                 .values("commune__parent_id").annotate(n=Sum("applications"))
                 .values_list("commune__parent_id", "n"))
    districts = AdminUnit.objects.filter(id__in=set(eligible) | set(taken)).order_by("code")
    return [Coverage(f"{d.kind} {d.name}".strip() if d.kind and not d.name.startswith(d.kind) else d.name,
                     eligible.get(d.id, 0) or 0, taken.get(d.id, 0) or 0) for d in districts]
