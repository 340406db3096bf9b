"""The journal of the chain's heads: a file of the instance's data folder (settings.THIDUA_AUDIT_JOURNAL, by default
`anchors.log`) to which every act, once committed, appends its place, its hash and a MAC with the history's key.

A chain kept only in the database cannot show that its newest acts were cut: whoever deletes them, with what they
created, and moves the head back leaves a shorter chain, whole. The journal, outside the database, still names them:
an entry beyond the database's head, or one whose hash is not the act's at that place, means acts were removed or
rewritten. It needs no anchor printed by anyone; it does not hold against whoever can also rewrite the server's files
(docs/operations.md says how to make it append-only).

A journal behind the database is no alarm: a crash between a commit and its line, a second server sharing the
database (each writes its own journal), a restore (which starts a new journal). Each line, `SEQ:HASH:MAC`, is
appended in one write of a file opened with O_APPEND: processes appending at once do not interleave their lines.
"""

import datetime as dt
import hashlib
import hmac
import logging
import os
import re
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings

from .keys import audit_key
from .models import ChainHead, ChangeSet

logger = logging.getLogger(__name__)
LINE = re.compile(r"\A(\d{1,19}):([0-9a-f]{64}):([0-9a-f]{64})\Z")
BATCH = 1000  # lines checked against the database at a time


def journal_path() -> Path:
    return Path(settings.THIDUA_AUDIT_JOURNAL)


def journal_mac(key: bytes, seq: int, entry_hash: str) -> str:
    """Return the MAC of a journal's line (apart from the act's own MAC: a line is not an act)."""
    return hmac.new(key, f"journal:{seq}:{entry_hash}".encode(), hashlib.sha256).hexdigest()


def journal_append(seq: int, entry_hash: str) -> None:
    """Append an act's line to the journal. Called once the act is committed, it never undoes the act: a line that
    cannot be written leaves the journal behind, which is said in the server's log."""
    key = audit_key()
    if key is None:
        return
    line = f"{seq}:{entry_hash}:{journal_mac(key, seq, entry_hash)}\n".encode()
    path = journal_path()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            os.write(fd, line)
        finally:
            os.close(fd)
    except OSError:
        logger.exception("Không ghi được mục số %s vào tệp mốc %s: tệp mốc sẽ thiếu mục này", seq, path)


def journal_restart() -> Path | None:
    """Start a new journal from the chain's head (a restored database, a history sealed anew): the journal there
    before, which belongs to another database or key, is kept beside it under a dated name, returned."""
    path, kept = journal_path(), None
    if path.exists() and path.stat().st_size:
        kept = path.with_name(f"{path.name}.{dt.datetime.now():%Y%m%d-%H%M%S}")
        path.rename(kept)
    head = ChainHead.objects.get(pk=1)
    if head.last_seq:
        journal_append(head.last_seq, head.last_hash)
    return kept


@dataclass(frozen=True)
class JournalReport:
    lines: int  # the lines checked
    last: int  # the highest place they name (0: none)
    broken: str | None = None  # what they show, in Vietnamese; None when every line agrees with the database

    @property
    def ok(self) -> bool:
        return self.broken is None


def _lines(path: Path):
    """Yield (line number, text) of each whole line; a last line without its end was cut by a crash while written."""
    with open(path, "rb") as fh:
        for number, raw in enumerate(fh, 1):
            if not raw.endswith(b"\n"):
                return
            yield number, raw[:-1].decode("ascii", "replace")


def journal_verify(*, key: bytes | None) -> JournalReport:
    """Check every line of the journal against the database: each place must be within the chain's head and hold the
    act with that hash; with the key, each line must be authenticated (without it, the places and hashes only)."""
    path = journal_path()
    if not path.exists():
        return JournalReport(0, 0)
    head = ChainHead.objects.get(pk=1)
    lines, last, batch = 0, 0, []

    def check(batch: list) -> str | None:
        stored = dict(ChangeSet.objects.filter(seq__in={seq for _, seq, _ in batch}).values_list("seq", "hash"))
        for number, seq, entry_hash in batch:
            if stored.get(seq) is None:
                return (f"dòng {number} ghi mục số {seq}, không còn trong cơ sở dữ liệu: mục này đã bị xóa thẳng trong "
                        "cơ sở dữ liệu")
            if stored[seq] != entry_hash:
                return (f"dòng {number} ghi mục số {seq} với mã băm {entry_hash[:16]}…, cơ sở dữ liệu có "
                        f"{stored[seq][:16]}…: nhật ký từ mục này đã bị viết lại")
        return None

    for number, text in _lines(path):
        found = LINE.match(text)
        if found is None:
            return JournalReport(lines, last, f"dòng {number} không đúng dạng SỐ:MÃ_BĂM:MÃ_XÁC_THỰC: tệp đã bị sửa")
        seq, entry_hash, mac = int(found[1]), found[2], found[3]
        if key is not None and not hmac.compare_digest(journal_mac(key, seq, entry_hash), mac):
            return JournalReport(lines, last, f"dòng {number} không xác thực được bằng khóa nhật ký: dòng này đã bị "
                                              "sửa hoặc ghi thêm vào tệp")
        if seq > head.last_seq:
            return JournalReport(lines, last, f"dòng {number} ghi mục số {seq}, nhưng nhật ký trong cơ sở dữ liệu dừng "
                                              f"ở mục số {head.last_seq}: các mục sau mục số {head.last_seq} đã bị "
                                              "xóa thẳng trong cơ sở dữ liệu")
        batch.append((number, seq, entry_hash))
        lines, last = lines + 1, max(last, seq)
        if len(batch) >= BATCH:
            if problem := check(batch):
                return JournalReport(lines, last, problem)
            batch = []
    return JournalReport(lines, last, check(batch) if batch else None)
