"""Reads of the history: acts filtered for the audit page, and every change of one record."""

import datetime as dt
from dataclasses import dataclass

from django.db.models import Count, Q, QuerySet

from .models import Change, ChangeSet, Source

# The kinds of record the history names, as they appear in Change.entity.
ENTITY_LABELS = {
    "thu_nhan": "Số liệu thu nhận",
    "bao_cao": "Báo cáo ngày",
    "don_vi": "Đơn vị",
    "can_bo": "Cán bộ",
    "may": "Máy và phân công",
    "dan_so": "Dân số trong độ tuổi",
    "campaign": "Cài đặt đợt thi đua",
    "campaign.status": "Trạng thái đợt thi đua",
    "user": "Người dùng và vai trò",
    "api_token": "Khóa API",
}


@dataclass(frozen=True)
class ActFilter:
    # None: every act; else these campaigns' only (an act of no campaign, about an account bound to no unit or the
    # whole installation, is for whoever is bound to no unit)
    campaign_ids: frozenset[int] | None = None
    actor: str = ""
    source: str = ""
    entity: str = ""
    key: str = ""
    reason: str = ""
    since: dt.date | None = None
    until: dt.date | None = None


def acts(f: ActFilter) -> QuerySet[ChangeSet]:
    """Return the acts matching a filter, newest first, each with its number of changes (two queries a page)."""
    qs = ChangeSet.objects.select_related("campaign")
    if f.campaign_ids is not None:
        qs = qs.filter(campaign_id__in=f.campaign_ids)
    if f.actor:
        qs = qs.filter(actor__icontains=f.actor)
    if f.source:
        qs = qs.filter(source=f.source)
    if f.reason:
        qs = qs.filter(reason__icontains=f.reason)
    if f.since:
        qs = qs.filter(at__date__gte=f.since)
    if f.until:
        qs = qs.filter(at__date__lte=f.until)
    if f.entity or f.key:
        changes = Change.objects.all()
        if f.entity:
            changes = changes.filter(entity=f.entity)
        if f.key:
            changes = changes.filter(key__icontains=f.key)
        qs = qs.filter(id__in=changes.values("changeset_id"))
    return qs.annotate(change_count=Count("changes")).order_by("-at", "-id")


def _with_imported_creations(changes: list[Change], records) -> list[Change]:
    """Add the creation of each intake record an import created (imports link a created count to their act
    instead of writing a Change per row): its act, and its first value — the `before` of its first recorded
    change, else its value now. Return every entry, oldest first."""
    created = {c.key for c in changes if c.before is None}
    first_before: dict[str, object] = {}
    for c in changes:
        first_before.setdefault(c.key, c.before)
    entries = list(changes)
    for r in records:
        key = f"{r.day.isoformat()}|{r.machine.code}|{r.commune.code}"
        if key not in created and r.created_in is not None:
            entries.append(Change(changeset=r.created_in, entity="thu_nhan", key=key, before=None,
                                  after=first_before.get(key) or {"so_ho_so": r.applications}))
    return sorted(entries, key=lambda c: (c.changeset.at, c.changeset.id, c.id or 0))


def _records(**where):
    from thidua.intake.models import IntakeRecord  # intake depends on audit, not the other way round

    return IntakeRecord.objects.filter(**where).select_related("created_in", "machine", "commune")


def record_history(*, entity: str, key: str, campaign_id: int | None) -> list[Change]:
    """Return every change of one record, oldest first, with its act (who, when, why)."""
    qs = Change.objects.filter(entity=entity, key=key).select_related("changeset")
    if campaign_id is not None:
        qs = qs.filter(changeset__campaign_id=campaign_id)
    changes = list(qs.order_by("changeset__at", "id"))
    parts = key.split("|")
    if entity != "thu_nhan" or len(parts) != 3:
        return changes
    try:
        day = dt.date.fromisoformat(parts[0])
    except ValueError:
        return changes
    records = _records(day=day, machine__code=parts[1], commune__code=parts[2])
    if campaign_id is not None:
        records = records.filter(campaign_id=campaign_id)
    return _with_imported_creations(changes, records)


def team_day_history(*, campaign_id: int, team_id: int, team_code: str, day: dt.date,
                     machine_codes: list[str]) -> list[Change]:
    """Return every change of a team's day: its report's steps and the counts of its machines, oldest first."""
    counts = Q(entity="thu_nhan") & Q(*[Q(key__startswith=f"{day.isoformat()}|{m}|") for m in machine_codes],
                                      _connector=Q.OR) if machine_codes else Q(pk__in=[])
    report = Q(entity="bao_cao", key=f"{team_code}|{day.isoformat()}")
    changes = list(Change.objects.filter(report | counts, changeset__campaign_id=campaign_id)
                   .select_related("changeset").order_by("changeset__at", "id"))
    return _with_imported_creations(changes, _records(campaign_id=campaign_id, team_id=team_id, day=day))


def file_import_act(*, campaign, actor: str, sha256: str, since: dt.datetime) -> ChangeSet | None:
    """Return the latest act by which `actor` imported the file of this SHA-256 into the campaign since a moment."""
    return (ChangeSet.objects.filter(campaign=campaign, actor=actor, file_sha256=sha256, source=Source.IMPORT,
                                     at__gte=since).order_by("-at", "-id").first())
