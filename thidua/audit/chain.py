"""The tamper-evident chain of acts: each sealed ChangeSet carries the hash of the one before it, and a MAC.

An act's hash covers its own fields and every change recorded under it, so that altering, adding or removing an
entry directly in the database breaks the chain from that entry on; `thidua audit verify` names the first break.
Whoever can write to the database could recompute every hash after their change, so each act also carries an
HMAC of its place and hash with a key kept outside the database (keys.py): without the key no rewritten act is
authenticated. The head (`SEQ:HASH`, printed by `thidua audit anchor` for the record) then proves, later, that the
history up to it is unchanged.
"""

import hashlib
import hmac
import json
from dataclasses import dataclass
from functools import partial

from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.db.models import Subquery
from django.utils.timezone import localtime

from .journal import journal_append, journal_path, journal_restart, journal_verify
from .keys import audit_key, entry_mac, key_place, mac_holds
from .models import ChainHead, Change, ChangeSet
from .services import changeset_open

GENESIS = "0" * 64
VERIFY_BATCH = 1000


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
    """Append an act to the chain; call it last, inside the act's transaction (the chain's end is locked). Once the
    transaction commits, the act's place and hash go to the journal of heads (journal.py)."""
    head = ChainHead.objects.select_for_update().get(pk=1)
    changeset.refresh_from_db(fields=["at", "summary"])
    changeset.seq, changeset.prev_hash = head.last_seq + 1, head.last_hash
    changeset.hash = entry_hash(changeset, changeset.changes.order_by("id"))
    changeset.mac = entry_mac(audit_key(create=True), changeset.seq, changeset.hash)
    changeset.save(update_fields=["seq", "prev_hash", "hash", "mac"])
    head.last_seq, head.last_hash = changeset.seq, changeset.hash
    head.save(update_fields=["last_seq", "last_hash"])
    transaction.on_commit(partial(journal_append, changeset.seq, changeset.hash))
    return changeset


@dataclass(frozen=True)
class ChainReport:
    entries: int  # the entries found whole, from the first on
    broken: str | None  # the first break, in Vietnamese; None when the chain is whole
    authenticated: bool = True  # every MAC checked with the key (False: no key at hand, only the hashes checked)
    legacy: int = 0  # the first entries carry no MAC yet: sealed before the key existed
    act: ChangeSet | None = None  # the act the break names (its campaign says who may read about it), if any

    @property
    def ok(self) -> bool:
        return self.broken is None


def _where(cs: ChangeSet) -> str:
    return f"mục số {cs.seq} (#{cs.id}, {localtime(cs.at):%d/%m/%Y %H:%M}, {cs.actor})"


def _sealed_batches(until: int | None):
    """Yield the sealed acts in order of place (up to `until`), a batch at a time, each act with its changes; past
    the head too, so that an entry appended without moving the head is found."""
    sealed = ChangeSet.objects.filter(seq__isnull=False).order_by("seq")
    if until is not None:
        sealed = sealed.filter(seq__lte=until)
    last = 0
    while batch := list(sealed.filter(seq__gt=last)[:VERIFY_BATCH]):
        changes_of: dict[int, list[Change]] = {}
        for c in Change.objects.filter(changeset__in=batch).order_by("id"):
            changes_of.setdefault(c.changeset_id, []).append(c)
        yield [(cs, changes_of.get(cs.id, [])) for cs in batch]
        last = batch[-1].seq


def chain_verify(*, key: bytes | None = None, until: int | None = None) -> ChainReport:
    """Recompute the chain from its start (up to entry `until`, or to its end); report the first entry whose hash,
    place, link or MAC does not hold. Without a key only the hashes are checked (`authenticated` is then False)."""
    head = ChainHead.objects.get(pk=1)
    unsealed = ChangeSet.objects.filter(seq__isnull=True).order_by("id").first()
    if unsealed is not None:
        when = f"{localtime(unsealed.at):%d/%m/%Y %H:%M}"
        return ChainReport(0, f"mục #{unsealed.id} ({when}, {unsealed.actor}) không nằm trong chuỗi: được ghi thẳng "
                              "vào cơ sở dữ liệu", key is not None, act=unsealed)
    previous, expected_seq, count, legacy, authenticated = GENESIS, 1, 0, 0, 0

    def broken(message: str, act: ChangeSet | None = None) -> ChainReport:
        return ChainReport(count, message, key is not None, legacy, act)

    for batch in _sealed_batches(until):
        for cs, changes in batch:
            where = _where(cs)
            if cs.seq != expected_seq:
                return broken(f"thiếu mục số {expected_seq}: chuỗi nhảy tới {where}", cs)
            if cs.prev_hash != previous:
                return broken(f"{where}: liên kết tới mục trước không khớp", cs)
            if entry_hash(cs, changes) != cs.hash:
                return broken(f"{where}: nội dung đã bị sửa sau khi ghi", cs)
            if key is not None:
                if not cs.mac:
                    if legacy != count:
                        return broken(f"{where}: không có mã xác thực (HMAC) dù các mục trước có: mục này đã bị ghi "
                                      "hoặc viết lại thẳng trong cơ sở dữ liệu", cs)
                    legacy += 1
                elif not mac_holds(key, cs.seq, cs.hash, cs.mac):
                    if authenticated == 0:
                        return broken(f"{where}: mã xác thực (HMAC) không khớp với khóa nhật ký ({key_place()}): "
                                      "hoặc khóa này không phải khóa của cơ sở dữ liệu này, hoặc nhật ký từ mục này "
                                      "đã bị viết lại", cs)
                    return broken(f"{where}: mã xác thực (HMAC) không khớp: mục này và chuỗi băm từ đó đã bị viết "
                                  "lại thẳng trong cơ sở dữ liệu", cs)
                else:
                    authenticated += 1
            previous, expected_seq, count = cs.hash, expected_seq + 1, count + 1
    if until is None and count > head.last_seq:
        return broken(f"chuỗi có {count} mục, nhưng điểm cuối ghi mục số {head.last_seq}: có mục được chèn thêm sau "
                      "điểm cuối")
    if until is None and (count != head.last_seq or previous != head.last_hash):
        return broken(f"chuỗi dừng ở mục số {count}, nhưng điểm cuối ghi mục số {head.last_seq}: có mục đã bị xóa")
    if until is not None and count < until:
        return broken(f"nhật ký chỉ có {count} mục, không có mục số {until}: các mục sau mục số {count} đã bị xóa")
    if legacy:
        return broken(f"{legacy} mục đầu tiên (1–{legacy}) chưa có mã xác thực (HMAC): chúng được ghi trước khi có "
                      "khóa nhật ký; chạy `thidua audit seal-legacy` một lần để xác thực chúng")
    return ChainReport(count, None, key is not None, legacy)


@dataclass(frozen=True)
class Anchor:
    seq: int
    hash: str

    def __str__(self) -> str:
        return f"{self.seq}:{self.hash}"


class AnchorError(ValueError):
    """An anchor that cannot be read or does not hold; the message says why, in Vietnamese."""


def anchor_parse(text: str) -> Anchor:
    """Read an anchor `SEQ:HASH` (as printed by `thidua audit anchor`)."""
    if not text.strip():
        raise AnchorError("chưa ghi mốc: --anchor cần một mốc SỐ:MÃ_BĂM, như `thidua audit anchor` in ra")
    seq, sep, digest = text.strip().partition(":")
    digest = digest.lower()
    if not sep or not seq.isdigit() or int(seq) < 1 or len(digest) != 64 or any(c not in "0123456789abcdef"
                                                                               for c in digest):
        raise AnchorError(f"mốc «{text.strip()[:80]}» không đúng dạng SỐ:MÃ_BĂM (số thứ tự của mục, dấu hai chấm, "
                          "64 chữ số hex), như `thidua audit anchor` in ra")
    return Anchor(int(seq), digest)


def chain_anchor() -> tuple[Anchor, ChangeSet] | tuple[None, None]:
    """Return the chain's head (its last entry's place and hash) and that entry; (None, None) for an empty history.
    One query: the audit page shows it."""
    entry = ChangeSet.objects.filter(seq=Subquery(ChainHead.objects.filter(pk=1).values("last_seq"))).first()
    return (None, None) if entry is None else (Anchor(entry.seq, entry.hash), entry)


def anchor_verify(anchor: Anchor, *, key: bytes | None) -> ChainReport:
    """Prove the history up to an anchor unchanged: the chain verifies up to its entry, which has the anchor's hash."""
    report = chain_verify(key=key, until=anchor.seq)
    if not report.ok:
        return report
    entry = ChangeSet.objects.get(seq=anchor.seq)
    if entry.hash != anchor.hash:
        return ChainReport(report.entries, f"{_where(entry)} có mã băm {entry.hash[:16]}…, mốc ghi "
                                           f"{anchor.hash[:16]}…: nhật ký tới mốc này đã bị viết lại",
                           report.authenticated, act=entry)
    return report


class SealError(Exception):
    pass


@transaction.atomic
def chain_seal_legacy() -> int:
    """Give a MAC to each act sealed before the history had a key; return how many. Only the first acts may lack
    one (those of the version before the key), and only when their hashes hold: the MACs vouch for the history as
    it stands now, which is why this is an act of its own, run once on purpose."""
    ChainHead.objects.select_for_update().get(pk=1)
    hashes = chain_verify()
    if not hashes.ok:
        raise SealError(f"Chuỗi nhật ký bị phá, không xác thực được: {hashes.broken}.")
    legacy = list(ChangeSet.objects.filter(seq__isnull=False, mac="").order_by("seq").only("id", "seq", "hash"))
    if not legacy:
        return 0
    journal = journal_verify(key=None)  # its MACs are of a key gone; its places and hashes still count
    if not journal.ok:
        raise SealError(f"Tệp mốc {journal_path()} không khớp nhật ký, không xác thực: {journal.broken}.")
    first_sealed = ChangeSet.objects.exclude(mac="").order_by("seq").values_list("seq", flat=True).first()
    if legacy[-1].seq != len(legacy) or (first_sealed is not None and first_sealed < legacy[-1].seq):
        raise SealError("Chỉ các mục đầu tiên (ghi trước khi có khóa) mới được xác thực bù; mục "
                        f"số {legacy[-1].seq} không có mã xác thực dù mục số {first_sealed} có: nó đã bị sửa thẳng.")
    key = audit_key(create=True)
    for cs in legacy:
        cs.mac = entry_mac(key, cs.seq, cs.hash)
    ChangeSet.objects.bulk_update(legacy, ["mac"], batch_size=VERIFY_BATCH)
    transaction.on_commit(journal_restart)
    return len(legacy)


@transaction.atomic
def chain_rekey(*, old_key: bytes, actor: str, reason: str) -> int:
    """Move the history to a new key (the one in place now): once every act verifies with the old key, give each
    one the MAC of the new key, and record the change of key as an act; return how many acts were re-authenticated."""
    ChainHead.objects.select_for_update().get(pk=1)
    new_key = audit_key(create=True)
    if hmac.compare_digest(new_key, old_key):
        raise SealError("Khóa cũ và khóa hiện có là một: đặt khóa mới (biến THIDUA_AUDIT_KEY hoặc tệp khóa) trước.")
    report = chain_verify(key=old_key)
    if not report.ok:
        raise SealError(f"Nhật ký không xác thực được bằng khóa cũ, không đổi khóa: {report.broken}.")
    journal = journal_verify(key=old_key)
    if not journal.ok:
        raise SealError(f"Tệp mốc {journal_path()} không khớp nhật ký, không đổi khóa: {journal.broken}.")
    entries = list(ChangeSet.objects.filter(seq__isnull=False).only("id", "seq", "hash"))
    for cs in entries:
        cs.mac = entry_mac(new_key, cs.seq, cs.hash)
    ChangeSet.objects.bulk_update(entries, ["mac"], batch_size=VERIFY_BATCH)
    transaction.on_commit(journal_restart)  # its lines are the old key's: a new journal, the old one kept beside
    act = changeset_open(campaign=None, actor=actor, source="cli", reason=reason)
    act.summary = {"audit_key": {"reauthenticated": len(entries)}}
    act.save(update_fields=["summary"])
    changeset_seal(act)
    return len(entries)
