"""The steps of the lifecycle and the council's acts on the results: each one an audited act with its reason."""

import datetime as dt
import hashlib

from django.db import transaction

from thidua.audit.chain import changeset_seal
from thidua.audit.services import changeset_open, reason_problem, record_change
from thidua.campaigns import clock
from thidua.campaigns.config import scored_settings
from thidua.campaigns.models import Campaign, Status
from thidua.intake.models import Machine
from thidua.standings.export import standings_json
from thidua.standings.selectors import campaign_standings, forget_standings
from thidua.units.models import Unit

from . import lifecycle
from .models import Snapshot, TieRuling, canonical_json
from .selectors import latest_snapshot, open_ties, unverified_at_deadline

SYSTEM = "hệ thống"
TEXT_MAX = 120


class StepError(Exception):
    """A step refused; `problems` lists every reason, in Vietnamese."""

    def __init__(self, problems: list[str] | str):
        self.problems = [problems] if isinstance(problems, str) else list(problems)
        super().__init__(" ".join(self.problems))


def _reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise StepError("Cần ghi lý do.")
    if "\x00" in reason:
        raise StepError("Lý do có ký tự không hợp lệ.")
    problem = reason_problem(reason)
    if problem:
        raise StepError(problem)
    return reason


def _number(fields: dict, key: str, label: str, problems: list[str]) -> int | None:
    raw = str(fields.get(key) or "").strip()
    if not raw:
        problems.append(f"Cần ghi {label}.")
        return None
    if not raw.isdigit() or not 0 < int(raw) < 100000:
        problems.append(f"{label.capitalize()} «{raw[:20]}» phải là số nguyên dương (ví dụ 15).")
        return None
    return int(raw)


def _date(fields: dict, key: str, label: str, problems: list[str]) -> dt.date | None:
    from thidua.lib.vn import parse_date
    raw = fields.get(key)
    if isinstance(raw, dt.date):
        return raw
    raw = str(raw or "").strip()
    if not raw:
        problems.append(f"Cần ghi {label}.")
        return None
    try:
        return parse_date(raw)
    except ValueError:
        problems.append(f"{label.capitalize()} «{raw[:20]}» không hợp lệ (cần dd/mm/yyyy).")
        return None


def _text(fields: dict, key: str, label: str, problems: list[str]) -> str | None:
    raw = str(fields.get(key) or "").strip()
    if not raw:
        problems.append(f"Cần ghi {label}.")
        return None
    if "\x00" in raw or len(raw) > TEXT_MAX:
        problems.append(f"{label.capitalize()} dài quá {TEXT_MAX} ký tự hoặc có ký tự không hợp lệ.")
        return None
    return raw


def _checks(campaign: Campaign, step: lifecycle.Transition, fields: dict) -> tuple[list[str], dict]:
    """Return the problems stopping a step and the workflow it records."""
    problems: list[str] = []
    workflow = dict(campaign.workflow or {})
    today = clock.today()
    source, target = step.source, step.target
    if (source, target) == (Status.DRAFT, Status.RUNNING):
        try:
            campaign.config  # noqa: B018 - the settings must still be valid
        except ValueError as exc:
            problems.append(f"Cấu hình không hợp lệ: {exc}")
        if not Unit.objects.filter(campaign=campaign).exists():
            problems.append("Chưa có đơn vị nào: nhập danh sách đơn vị trước.")
        if not Machine.objects.filter(campaign=campaign).exists():
            problems.append("Chưa có máy thu nhận nào: nhập danh sách máy và phân công trước.")
    elif (source, target) == (Status.CLOSED, Status.SCORED):
        if not workflow.get("scale_approved"):
            problems.append("Hội đồng TĐKT chưa duyệt thang điểm.")
        unverified = unverified_at_deadline(campaign)
        if unverified:
            given = str(fields.get("unverified_confirmed") or "").strip()
            if given != str(unverified):
                problems.append(f"Còn {unverified} ngày-tổ chưa được xác nhận: xem danh sách và ghi đúng số này để "
                                "xác nhận chấm điểm với các ngày đó.")
        workflow["scored"] = {"unverified_confirmed": unverified}
    elif (source, target) == (Status.SCORED, Status.PUBLISHED):
        until = today + dt.timedelta(days=campaign.config.appeal_days)
        workflow["published_on"], workflow["appeals_until"] = today.isoformat(), until.isoformat()
    elif (source, target) == (Status.PUBLISHED, Status.PROPOSED):
        until = workflow.get("appeals_until")
        if until and today <= dt.date.fromisoformat(until):
            problems.append(f"Thời hạn khiếu nại đến hết ngày {dt.date.fromisoformat(until):%d/%m/%Y}: chưa trình "
                            "được.")
        names = {g.code: g.name for g in campaign.config.groups}
        for group, prize_rank, units in open_ties(campaign):
            problems.append(f"Nhóm «{names.get(group, group)}», hạng giải {prize_rank}: {', '.join(units)} đồng hạng, "
                            "chờ Hội đồng phân xử.")
        number = _number(fields, "proposal_number", "số Tờ trình", problems)
        day = _date(fields, "proposal_date", "ngày Tờ trình", problems)
        if number and day:
            workflow["proposal"] = {"number": number, "date": day.isoformat()}
    elif (source, target) == (Status.PROPOSED, Status.DECIDED):
        number = _number(fields, "decision_number", "số quyết định", problems)
        day = _date(fields, "decision_date", "ngày quyết định", problems)
        signer = _text(fields, "decision_signer", "người ký quyết định", problems)
        proposal = (workflow.get("proposal") or {}).get("date")
        if day and proposal and day < dt.date.fromisoformat(proposal):
            problems.append("Ngày quyết định trước ngày Tờ trình.")
        if number and day and signer:
            workflow["decision"] = {"number": number, "date": day.isoformat(), "signer": signer}
    elif (source, target) == (Status.PUBLISHED, Status.SCORED):
        workflow.pop("appeals_until", None)
        workflow.pop("published_on", None)
    elif (source, target) == (Status.PROPOSED, Status.PUBLISHED):
        workflow.pop("proposal", None)
    elif (source, target) == (Status.SCORED, Status.CLOSED):
        workflow.pop("scored", None)
    for check in lifecycle.requirements(source, target):
        problems.extend(check(campaign))
    return problems, workflow


def blocking(campaign: Campaign, step: lifecycle.Transition) -> list[str]:
    """Return what stops a step now, whatever the person taking it types (its numbers, dates and signer set aside):
    the campaign page lists it beside the step's button. Reads only."""
    today = clock.today().strftime("%d/%m/%Y")
    typed = {"unverified_confirmed": str(unverified_at_deadline(campaign)) if step.target == Status.SCORED else "",
             "proposal_number": "1", "proposal_date": today, "decision_number": "1", "decision_date": today,
             "decision_signer": "x"}
    problems, _ = _checks(campaign, step, typed)
    if step.target == Status.SCORED:  # the count of unverified days is the person's to confirm, not a blocker
        problems = [p for p in problems if "chưa được xác nhận" not in p]
    if step.target == Status.DECIDED:
        problems = [p for p in problems if "trước ngày Tờ trình" not in p]
    return problems


@transaction.atomic
def advance(*, campaign: Campaign, to: str, actor: str, role: str | None, reason: str, fields: dict | None = None,
            source: str = "web") -> Campaign:
    """Take one step of the lifecycle (documents.md's table), or raise StepError naming every problem.

    `role` None is the command line's operator, who may take any step. The campaign row is locked for the step:
    two people taking it at once take it once.
    """
    locked = Campaign.objects.select_for_update().get(pk=campaign.pk)
    step = lifecycle.transition(locked.status, to)
    if step is None:
        forward = [t.target for t in lifecycle.transitions_from(locked.status)]
        names = ", ".join(f"«{Status(t).label}»" for t in forward) or "không bước nào"
        raise StepError(f"Không chuyển được từ «{Status(locked.status).label}» sang «{Status(to).label}»: chỉ sang "
                        f"{names}.")
    if not lifecycle.may_take(role, step):
        raise StepError("Vai trò của bạn không thực hiện bước này.")
    reason = _reason(reason)
    problems, workflow = _checks(locked, step, fields or {})
    if problems:
        raise StepError(problems)
    changeset = changeset_open(campaign=locked, actor=actor, source=source, reason=reason)
    before = {"status": locked.status, "workflow": locked.workflow or {}}
    locked.status, locked.workflow = to, workflow
    locked.save(update_fields=["status", "workflow", "updated_at"])
    record_change(changeset, "campaign.status", locked.code, before, {"status": to, "workflow": workflow})
    if (step.source, step.target) == (Status.CLOSED, Status.SCORED):
        freeze(campaign=locked, actor=actor, reason=reason, changeset=changeset)
    for fn in lifecycle.afters(step.source, step.target):
        fn(locked, step, changeset)
    changeset_seal(changeset)
    forget_standings()
    return locked


def campaign_advance(*, campaign: Campaign, to: str, actor: str, reason: str, fields: dict | None = None) -> Campaign:
    """Take a step as the command line's operator (any role): `thidua advance-campaign`, the demo, the tests."""
    return advance(campaign=campaign, to=to, actor=actor, role=None, reason=reason, fields=fields, source="cli")


def freeze(*, campaign: Campaign, actor: str, reason: str, changeset, appeal=None) -> Snapshot:
    """Freeze the standings to the deadline as the next snapshot (JSON + SHA-256), recorded in `changeset`."""
    forget_standings()
    result = campaign_standings(campaign, campaign.deadline)
    data = canonical_json(standings_json(result)).decode("utf-8")
    previous = latest_snapshot(campaign)
    snapshot = Snapshot.objects.create(
        campaign=campaign, version=(previous.version + 1) if previous else 1, as_of=campaign.deadline, data=data,
        sha256=hashlib.sha256(data.encode("utf-8")).hexdigest(), created_at=clock.now(), created_by=actor,
        reason=reason, appeal=appeal)
    record_change(changeset, "ket_qua_chot", f"{campaign.code}#{snapshot.version}", None,
                  {"version": snapshot.version, "as_of": snapshot.as_of, "sha256": snapshot.sha256,
                   "appeal": appeal.number if appeal else None})
    return snapshot


@transaction.atomic
def approve_scale(*, campaign: Campaign, actor: str, role: str | None, reason: str,
                  source: str | None = None) -> Campaign:
    """Record the council's approval of the scale (needed to score); the settings are what it approves."""
    from thidua.accounts.models import Role
    if role not in (None, Role.COUNCIL, Role.ADMIN):
        raise StepError("Chỉ Hội đồng TĐKT duyệt thang điểm.")
    reason = _reason(reason)
    locked = Campaign.objects.select_for_update().get(pk=campaign.pk)
    if locked.status not in (Status.DRAFT, Status.RUNNING, Status.CLOSED):
        raise StepError("Đợt thi đua đã chấm điểm: thang điểm đã khóa.")
    settings_hash = _scale_hash(locked.settings)
    workflow = dict(locked.workflow or {})
    if (workflow.get("scale_approved") or {}).get("settings_sha256") == settings_hash:
        raise StepError("Hội đồng đã duyệt đúng thang điểm này rồi.")
    workflow["scale_approved"] = {"by": actor, "at": clock.now().isoformat(timespec="seconds"),
                                  "settings_sha256": settings_hash}
    changeset = changeset_open(campaign=locked, actor=actor, source=source or ("web" if role else "cli"),
                               reason=reason)
    record_change(changeset, "campaign.status", locked.code, {"status": locked.status, "workflow": locked.workflow},
                  {"status": locked.status, "workflow": workflow})
    locked.workflow = workflow
    locked.save(update_fields=["workflow", "updated_at"])
    changeset_seal(changeset)
    return locked


def scale_approval_current(campaign: Campaign) -> bool:
    """Say whether the council approved the scale as it stands (a later change of the settings undoes it)."""
    approved = (campaign.workflow or {}).get("scale_approved") or {}
    return approved.get("settings_sha256") == _scale_hash(campaign.settings)


def _scale_hash(settings: dict) -> str:
    """Return the hash of what the council approves: the settings the scores depend on (not the documents')."""
    return hashlib.sha256(canonical_json(scored_settings(settings))).hexdigest()


@lifecycle.requirement(Status.CLOSED, Status.SCORED)
def _scale_still_approved(campaign: Campaign) -> list[str]:
    if (campaign.workflow or {}).get("scale_approved") and not scale_approval_current(campaign):
        return ["Cấu hình đã đổi sau khi Hội đồng duyệt thang điểm: Hội đồng cần duyệt lại."]
    return []


@transaction.atomic
def rule_tie(*, campaign: Campaign, group: str, prize_rank: int, order: list[str], actor: str, role: str | None,
             reason: str, source: str | None = None) -> TieRuling:
    """Record the council's order of the competitors sharing a prize rank of the latest snapshot."""
    from thidua.accounts.models import Role
    if role not in (None, Role.COUNCIL):
        raise StepError("Chỉ Hội đồng TĐKT phân xử đồng hạng.")
    reason = _reason(reason)
    locked = Campaign.objects.select_for_update().get(pk=campaign.pk)
    if locked.status not in (Status.SCORED, Status.PUBLISHED):
        raise StepError("Chỉ phân xử đồng hạng khi kết quả đã chấm, chưa trình khen thưởng.")
    snapshot = latest_snapshot(locked)
    tied = next((units for g, p, units in open_ties(locked, include_ruled=True) if g == group and p == prize_rank),
                None)
    if tied is None:
        raise StepError(f"Không có đồng hạng ở nhóm «{group[:40]}», hạng giải {prize_rank}.")
    if sorted(order) != sorted(tied) or len(set(order)) != len(order):
        raise StepError(f"Thứ tự phải gồm đúng các đơn vị đồng hạng: {', '.join(tied)}.")
    if TieRuling.objects.filter(snapshot=snapshot, group=group, prize_rank=prize_rank).exists():
        raise StepError("Hội đồng đã phân xử đồng hạng này.")
    ruling = TieRuling.objects.create(campaign=locked, snapshot=snapshot, group=group, prize_rank=prize_rank,
                                      order=list(order), ruled_by=actor, ruled_at=clock.now(), reason=reason)
    changeset = changeset_open(campaign=locked, actor=actor, source=source or ("web" if role else "cli"),
                               reason=reason)
    record_change(changeset, "phan_xu_dong_hang", f"{locked.code}#{snapshot.version}/{group}/{prize_rank}", None,
                  {"order": list(order), "snapshot": snapshot.version})
    changeset_seal(changeset)
    return ruling


def close_if_due(campaign: Campaign) -> Campaign:
    """Close a running campaign `grace_days` after its deadline, by itself (an act of the system)."""
    if campaign.status != Status.RUNNING:
        return campaign
    due = campaign.deadline + dt.timedelta(days=campaign.config.grace_days)
    if clock.today() <= due:
        return campaign
    try:
        return advance(campaign=campaign, to=Status.CLOSED, actor=SYSTEM, role=None, source="system",
                       reason=f"Tự kết thúc: đã qua hạn cuối {campaign.config.grace_days} ngày.")
    except StepError:
        return Campaign.objects.get(pk=campaign.pk)
