"""Recording changes; called inside the transaction of the change itself, so that both stand or fall together."""

import json

from django.core.serializers.json import DjangoJSONEncoder

from thidua.lib.vn import number

from .models import REASON_MAX, Change, ChangeSet

REASON_TOO_LONG = "Lý do dài {length} ký tự, quá mức {limit} ký tự: hãy viết ngắn lại."


class ReasonError(ValueError):
    """A reason the history does not take."""


def reason_problem(reason: str) -> str | None:
    """Return why the history does not take this reason of an act (longer than REASON_MAX), or None."""
    if len(reason) <= REASON_MAX:
        return None
    return REASON_TOO_LONG.format(length=number(len(reason)), limit=number(REASON_MAX))


def plain(value):
    """Return JSON-ready values (dates and decimals as text) so that before/after compare as stored."""
    return None if value is None else json.loads(json.dumps(value, cls=DjangoJSONEncoder))


def changeset_open(*, campaign, actor: str, source: str, reason: str = "", file_name: str = "",
                   file_sha256: str = "") -> ChangeSet:
    """Start the record of one act; refuse a reason longer than REASON_MAX (ReasonError), whoever passes it."""
    problem = reason_problem(reason)
    if problem:
        raise ReasonError(problem)
    return ChangeSet.objects.create(campaign=campaign, actor=actor, source=source, reason=reason,
                                    file_name=file_name, file_sha256=file_sha256)


def record_change(changeset: ChangeSet, entity: str, key: str, before, after) -> Change:
    """Record one record's change."""
    return Change.objects.create(changeset=changeset, entity=entity, key=key, before=plain(before),
                                 after=plain(after))


def record_changes(changeset: ChangeSet, rows: list[tuple[str, str, object, object]]) -> None:
    """Record many changes at once: (entity, key, before, after) each."""
    Change.objects.bulk_create(
        [Change(changeset=changeset, entity=e, key=k, before=plain(b), after=plain(a)) for e, k, b, a in rows],
        batch_size=1000,
    )
