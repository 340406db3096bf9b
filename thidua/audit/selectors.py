"""Reads of the history: acts filtered for the audit page, each act as read, and every change of one record."""

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.db.models import Count, Min, Q, QuerySet
from django.utils.translation import gettext

from thidua.lib import vn

from .labels import (
    ENTITY_LABELS,
    INTAKE,
    Entry,
    Names,
    SheetCount,
    act_counts,
    act_notes,
    act_reason,
    count_title,
    entries,
    named,
    written_apart,
)
from .models import Change, ChangeSet, Source


def chain_head() -> int | None:
    """Return the place of the last sealed act in the chain (None before the first), by the index on `seq`."""
    return ChangeSet.objects.filter(seq__isnull=False).order_by("-seq").values_list("seq", flat=True).first()


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
    """Return the acts matching a filter, newest first (two queries a page)."""
    qs = ChangeSet.objects.select_related("campaign")
    if f.campaign_ids is not None:
        qs = qs.filter(campaign_id__in=f.campaign_ids)
    if f.actor:  # a user name, or a part of a full name
        named_so = get_user_model().objects.filter(first_name__icontains=f.actor).values("username")
        qs = qs.filter(Q(actor__icontains=f.actor) | Q(actor__in=named_so))
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
    return qs.order_by("-at", "-id")


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

    return IntakeRecord.objects.filter(**where).select_related("created_in__campaign", "machine", "commune")


def record_history(*, entity: str, key: str, campaign_id: int | None) -> list[Change]:
    """Return every change of one record, oldest first, with its act (who, when, why)."""
    qs = Change.objects.filter(entity=entity, key=key).select_related("changeset__campaign")
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
                   .select_related("changeset__campaign").order_by("changeset__at", "id"))
    return _with_imported_creations(changes, _records(campaign_id=campaign_id, team_id=team_id, day=day))


def file_import_act(*, campaign, actor: str, sha256: str, since: dt.datetime) -> ChangeSet | None:
    """Return the latest act by which `actor` imported the file of this SHA-256 into the campaign since a moment."""
    return (ChangeSet.objects.filter(campaign=campaign, actor=actor, file_sha256=sha256, source=Source.IMPORT,
                                     at__gte=since).order_by("-at", "-id").first())


# --- acts as read -----------------------------------------------------------------------------------------------

GIST_LINES = 2  # fields of a one-change act said on the audit page


@dataclass(frozen=True)
class ActRow:
    """An act of the audit page as read: who by name, what it did in a few words, how many records it wrote."""

    act: ChangeSet
    actor: str
    gist: str
    reason: str
    records: int


def _counted(count: SheetCount) -> str:
    parts = [gettext("thêm %(n)s") % {"n": vn.number(count.added)}] if count.added else []
    parts += [gettext("sửa %(n)s") % {"n": vn.number(count.changed)}] if count.changed else []
    return f"{count.what}: {', '.join(parts)}"


def _gist(act: ChangeSet, groups: list[tuple[str, int]], single: Entry | None, names: Names) -> str:
    """Return what an act did in a few words: what it loaded, what an import added and changed per sheet, the one
    record it changed and how, or how many records of each kind."""
    notes = act_notes(act.summary, names)
    if notes:
        return notes[0]
    counts = [c for c in act_counts(act.summary) if c.added or c.changed]
    if counts:
        return " · ".join(_counted(c) for c in counts)
    if single is not None:
        said = "; ".join(f"{line.label}: {'' if line.before is None else line.before + ' → '}{line.after or '—'}"
                         for line in single.lines[:GIST_LINES])
        return f"{single.kind}: {single.record}" + (f" — {said}" if said else "")
    return " · ".join(gettext("%(kind)s: %(n)s bản ghi") % {"kind": ENTITY_LABELS.get(entity, entity),
                                                             "n": vn.number(n)} for entity, n in groups)


def acts_read(page: list[ChangeSet]) -> list[ActRow]:
    """Return the acts of a page as read; a fixed number of queries (the changes counted per act and kind, the one
    change of the acts of one change, the names)."""
    by_id = {a.id: a for a in page}
    groups: dict[int, list[tuple[str, int]]] = defaultdict(list)
    first: dict[int, int] = {}
    order = list(ENTITY_LABELS)
    for act_id, entity, n, first_id in (Change.objects.filter(changeset_id__in=by_id).values("changeset_id", "entity")
                                        .annotate(n=Count("id"), first=Min("id")).order_by()
                                        .values_list("changeset_id", "entity", "n", "first")):
        groups[act_id].append((entity, n))
        first[act_id] = first_id
    for kinds in groups.values():
        kinds.sort(key=lambda g: order.index(g[0]) if g[0] in order else len(order))
    singles = list(Change.objects.filter(id__in=[first[a] for a, g in groups.items() if sum(n for _, n in g) == 1]))
    for change in singles:
        change.changeset = by_id[change.changeset_id]

    def build(names: Names) -> list[ActRow]:
        single = {e.change.changeset_id: e for e in entries(singles, names)}
        return [ActRow(act=a, actor=names.person(a.actor), gist=_gist(a, groups[a.id], single.get(a.id), names),
                       reason=act_reason(a), records=sum(n for _, n in groups[a.id]) + written_apart(a.summary))
                for a in page]

    return named(build)


@dataclass(frozen=True)
class CreatedCount:
    """A count an import created: which (by name), its team, its value when created; `key` links its history."""

    key: str
    record: str
    team: str
    applications: int


@dataclass(frozen=True)
class ActView:
    """One act as read: who, why, what it did per sheet, its changes on this page and the counts it created."""

    actor: str
    reason: str
    counts: list[SheetCount]
    notes: list[str]
    entries: list[Entry]
    created: list[CreatedCount]
    records: int


def created_by(act: ChangeSet):
    """Return the counts an act created (an import's: none is a change of its own), by day, machine and commune
    (their ids: no join to sort a page out of a million rows)."""
    return _records(created_in=act).select_related("team").order_by("day", "machine_id", "commune_id")


def act_read(act: ChangeSet, changes: list[Change], created: list, change_total: int) -> ActView:
    """Return an act as read with a page of its changes and a page of the counts it created (created_by): their
    values when created (the `before` of a later first correction, else their value now); a fixed number of
    queries."""
    keys = {f"{r.day.isoformat()}|{r.machine.code}|{r.commune.code}": r for r in created}
    first: dict[str, object] = {}
    for key, before in (Change.objects.filter(entity=INTAKE, key__in=keys, changeset_id__gt=act.id).order_by("id")
                        .values_list("key", "before")):
        first.setdefault(key, before)
    for change in changes:
        change.changeset = act

    def value(key: str, record) -> int:
        before = first.get(key)
        return before.get("so_ho_so", record.applications) if isinstance(before, dict) else record.applications

    def build(names: Names) -> ActView:
        return ActView(
            actor=names.person(act.actor), reason=act_reason(act), counts=act_counts(act.summary),
            notes=act_notes(act.summary, names), entries=entries(changes, names),
            created=[CreatedCount(key, count_title(r.day, r.machine.code, r.commune.name), r.team.name,
                                  value(key, r)) for key, r in keys.items()],
            records=change_total + written_apart(act.summary))

    return named(build)
