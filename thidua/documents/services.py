"""The register of issued documents: issuing a document stores its file (never overwritten) and records its kind,
version, number, date, SHA-256 and who issued it, when and why, as one audited act."""

import datetime as dt
import hashlib
import os
from pathlib import Path

from django.conf import settings
from django.db import transaction

from thidua.audit.chain import changeset_seal
from thidua.audit.services import changeset_open, reason_problem, record_change
from thidua.awards.models import DocumentKind, IssuedDocument
from thidua.campaigns import clock
from thidua.campaigns.models import Campaign, Status
from thidua.lib import vn

from .catalog import KINDS, frozen_snapshot, render
from .facts import DocumentError

REASON_NEEDED = "Cần ghi lý do ban hành (ví dụ: «Trình Hội đồng Thi đua - Khen thưởng tỉnh»)."
REASON_INVALID = "Lý do có ký tự không hợp lệ."
FILE_CHANGED = "Tệp đã lưu của văn bản «{name}» không còn đúng mã SHA-256 đã ghi: không cấp tệp này."
LEFT_OVER = ("Đã có tệp «{path}» mà sổ văn bản không ghi (còn lại từ một lần ban hành không thành): người quản "
             "trị kiểm tra, chuyển tệp đó đi rồi ban hành lại.")
FILE_MISSING = "Không tìm thấy tệp đã lưu của văn bản «{name}»."


def documents_root() -> Path:
    """Return the folder of the issued documents, in the instance's data folder (backed up with it)."""
    return Path(settings.DATA_DIR) / "documents"


def number_and_date(campaign: Campaign, kind: str) -> tuple[str, dt.date]:
    """Return the number (blank until recorded) and date an issued document is registered with: the Tờ trình's
    and the decision's as the lifecycle recorded them, else today."""
    workflow = campaign.workflow or {}
    config = campaign.config.documents
    recorded = {DocumentKind.PROPOSAL: ("proposal", f"TTr-{config.police.symbol}" if config else ""),
                DocumentKind.DECISION: ("decision", f"QĐ-{config.committee.symbol}" if config else "")}
    if kind in recorded:
        step, symbol = recorded[kind]
        entry = workflow.get(step) or {}
        if entry.get("number") and entry.get("date"):
            return vn.document_number(entry["number"], symbol), dt.date.fromisoformat(entry["date"])
    return "", clock.today()


def _clean_reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise DocumentError(REASON_NEEDED)
    if "\x00" in reason:
        raise DocumentError(REASON_INVALID)
    problem = reason_problem(reason)
    if problem:
        raise DocumentError(problem)
    return reason


# What a document's issue waits for: it carries a number only a step records (the Tờ trình's when proposed, the
# decision's when decided); drafts are downloaded at any time from the scoring on.
ISSUED_FROM = {
    "to_trinh": ((Status.PROPOSED, Status.DECIDED, Status.ARCHIVED),
                 "Tờ trình được ban hành khi đã trình đề nghị khen thưởng (có số và ngày của Tờ trình)."),
    "quyet_dinh": ((Status.DECIDED, Status.ARCHIVED),
                   "Quyết định được ban hành khi đã ghi quyết định khen thưởng (số, ngày, người ký)."),
    "bang_khen": ((Status.DECIDED, Status.ARCHIVED),
                  "Bằng khen được in khi đã có quyết định khen thưởng (số và ngày in trên Bằng khen)."),
}


@transaction.atomic
def issue(campaign: Campaign, kind: str, actor: str, reason: str, source: str = "web") -> IssuedDocument:
    """Issue one document of a campaign from its latest snapshot: store the file as the kind's next version and
    register it; raise DocumentError (nothing stored) for a campaign not scored, an unknown kind, no reason."""
    if kind not in KINDS:
        raise DocumentError(f"Không có loại văn bản «{str(kind)[:40]}».")
    reason = _clean_reason(reason)
    locked = Campaign.objects.select_for_update().get(pk=campaign.pk)
    snapshot = frozen_snapshot(locked)
    waits = ISSUED_FROM.get(kind)
    if waits is not None and locked.status not in waits[0]:
        raise DocumentError(waits[1])
    data = render(locked, kind, snapshot)
    last = IssuedDocument.objects.filter(campaign=locked, kind=kind).order_by("-version").first()
    version = (last.version + 1) if last else 1
    spec = KINDS[kind]
    relative = Path("documents") / locked.code / f"{spec.file_name.rsplit('.', 1)[0]}-v{version}.{spec.extension}"
    number, day = number_and_date(locked, kind)
    sha = hashlib.sha256(data).hexdigest()
    path = Path(settings.DATA_DIR) / relative
    try:
        _store(path, data)
    except FileExistsError as exc:
        raise DocumentError(LEFT_OVER.format(path=relative.as_posix())) from exc
    try:
        document = IssuedDocument.objects.create(
            campaign=locked, kind=kind, version=version, number=number, date=day, file_name=path.name,
            path=relative.as_posix(), sha256=sha, size=len(data), snapshot=snapshot, issued_by=actor,
            issued_at=clock.now(), reason=reason)
        changeset = changeset_open(campaign=locked, actor=actor, source=source, reason=reason, file_name=path.name,
                                   file_sha256=sha)
        record_change(changeset, "van_ban", f"{locked.code}/{kind}#{version}", None,
                      {"kind": kind, "version": version, "number": number, "date": day, "file_name": path.name,
                       "sha256": sha, "size": len(data), "snapshot": snapshot.version})
        changeset_seal(changeset)
    except BaseException:
        path.unlink(missing_ok=True)  # the act did not happen: its file goes too
        raise
    return document


def _store(path: Path, data: bytes) -> None:
    """Write a new file, never replacing one (an issued version is never overwritten), readable by its owner only."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o600)
    with os.fdopen(descriptor, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())


def issued_bytes(document: IssuedDocument) -> bytes:
    """Return the stored bytes of an issued document, checked against the SHA-256 it was registered with."""
    root = documents_root().resolve()
    path = (Path(settings.DATA_DIR) / document.path).resolve()
    if root not in path.parents:
        raise DocumentError(FILE_MISSING.format(name=document.file_name))
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise DocumentError(FILE_MISSING.format(name=document.file_name)) from exc
    if hashlib.sha256(data).hexdigest() != document.sha256:
        raise DocumentError(FILE_CHANGED.format(name=document.file_name))
    return data
