"""The tamper-evident chain of acts: each sealed ChangeSet carries the hash of the one before it.

An act's hash covers its own fields and every change recorded under it, so that altering, adding or removing an
entry directly in the database breaks the chain from that entry on; `thidua audit verify` names the first break.
"""

import hashlib
import json
from dataclasses import dataclass

from django.core.serializers.json import DjangoJSONEncoder
from django.utils.timezone import localtime

from .models import ChainHead, Change, ChangeSet

GENESIS = "0" * 64


def _canonical(changeset: ChangeSet, changes) -> bytes:
    body = {
        "seq": changeset.seq, "prev": changeset.prev_hash, "campaign": changeset.campaign_id,
        "actor": changeset.actor, "at": changeset.at.isoformat(timespec="microseconds"),
        "source": changeset.source, "reason": changeset.reason, "file_name": changeset.file_name,
        "file_sha256": changeset.file_sha256, "summary": changeset.summary,
        "changes": [[c.entity, c.key, c.before, c.after] for c in changes],
    }
    return json.dumps(body, cls=DjangoJSONEncoder, sort_keys=True, ensure_ascii=False,
                      separators=(",", ":")).encode()


def entry_hash(changeset: ChangeSet, changes) -> str:
    """Return the hash of an act: of the previous act's hash, its fields and its changes (in order)."""
    return hashlib.sha256(changeset.prev_hash.encode() + _canonical(changeset, changes)).hexdigest()


def changeset_seal(changeset: ChangeSet) -> ChangeSet:
    """Append an act to the chain; call it last, inside the act's transaction (the chain's end is locked)."""
    head = ChainHead.objects.select_for_update().get(pk=1)
    changeset.refresh_from_db(fields=["at", "summary"])
    changeset.seq, changeset.prev_hash = head.last_seq + 1, head.last_hash
    changeset.hash = entry_hash(changeset, changeset.changes.order_by("id"))
    changeset.save(update_fields=["seq", "prev_hash", "hash"])
    head.last_seq, head.last_hash = changeset.seq, changeset.hash
    head.save(update_fields=["last_seq", "last_hash"])
    return changeset


@dataclass(frozen=True)
class ChainReport:
    entries: int
    broken: str | None  # the first break, in Vietnamese; None when the chain is whole

    @property
    def ok(self) -> bool:
        return self.broken is None


def chain_verify() -> ChainReport:
    """Recompute the chain from its start; report the first entry whose hash, place or link does not hold."""
    head = ChainHead.objects.get(pk=1)
    unsealed = ChangeSet.objects.filter(seq__isnull=True).order_by("id").first()
    if unsealed is not None:
        when = f"{localtime(unsealed.at):%d/%m/%Y %H:%M}"
        return ChainReport(0, f"mục #{unsealed.id} ({when}, {unsealed.actor}) không nằm trong chuỗi: được ghi thẳng "
                              "vào cơ sở dữ liệu")
    previous, expected_seq, count = GENESIS, 1, 0
    sealed = ChangeSet.objects.filter(seq__isnull=False).order_by("seq")
    for batch_start in range(0, head.last_seq + 1, 1000):
        batch = list(sealed.filter(seq__gt=batch_start, seq__lte=batch_start + 1000))
        changes_of: dict[int, list[Change]] = {}
        for c in Change.objects.filter(changeset__in=batch).order_by("id"):
            changes_of.setdefault(c.changeset_id, []).append(c)
        for cs in batch:
            where = f"mục số {cs.seq} (#{cs.id}, {localtime(cs.at):%d/%m/%Y %H:%M}, {cs.actor})"
            if cs.seq != expected_seq:
                return ChainReport(count, f"thiếu mục số {expected_seq}: chuỗi nhảy tới {where}")
            if cs.prev_hash != previous:
                return ChainReport(count, f"{where}: liên kết tới mục trước không khớp")
            if entry_hash(cs, changes_of.get(cs.id, [])) != cs.hash:
                return ChainReport(count, f"{where}: nội dung đã bị sửa sau khi ghi")
            previous, expected_seq, count = cs.hash, expected_seq + 1, count + 1
    if count != head.last_seq or previous != head.last_hash:
        return ChainReport(count, f"chuỗi dừng ở mục số {count}, nhưng điểm cuối ghi mục số {head.last_seq}: "
                                  "có mục đã bị xóa")
    return ChainReport(count, None)
