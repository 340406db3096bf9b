"""Evidence files of appeals and nominations: PDF or images (PNG, JPEG), their type found from their content, never
from their name; size-limited; kept for good outside the web root, under DATA_DIR/evidence by their SHA-256 (the
same bytes sent twice are kept once), and read back only after their hash is checked again.

    content_type, problems = check_upload(uploaded)       # nothing written; problems in Vietnamese
    evidence = store(campaign, uploaded, actor=..., appeal=appeal, changeset=changeset)   # StepError if refused
    data = read(evidence)                                 # the exact bytes, or StepError if missing or altered

Who may see a file is the caller's rule (the appeal's or the nomination's page), not this module's.
"""

import hashlib
import os
import re
import tempfile
import warnings
from pathlib import Path

from django.conf import settings
from PIL import Image

from thidua.audit.chain import changeset_seal
from thidua.audit.services import changeset_open, record_change
from thidua.campaigns import clock
from thidua.lib import vn
from thidua.lib.text import has_control

from .models import Evidence
from .services import StepError

PDF, PNG, JPEG = "application/pdf", "image/png", "image/jpeg"
SUFFIXES = {PDF: (".pdf",), PNG: (".png",), JPEG: (".jpg", ".jpeg")}
NAME_MAX = 200
FOLDER = "evidence"
# A PDF ends with %%EOF, possibly followed by a line break or a little padding: looked for in its last bytes.
PDF_TAIL = 1024
SHA256 = re.compile(r"[0-9a-f]{64}")

NO_FILE = "Chưa chọn tệp."
EMPTY = "Tệp «{name}» rỗng."
TOO_LARGE = "Tệp «{name}» nặng {size} byte, quá mức {limit} byte."
BAD_TYPE = "Tệp «{name}» không phải PDF, PNG hay JPEG (xét theo nội dung tệp, không theo tên): không nhận."
BROKEN = "Tệp «{name}» có đầu tệp {kind} nhưng nội dung hỏng hoặc không đọc được: không nhận."
BAD_NAME = "Tên tệp có ký tự điều khiển: đổi tên tệp rồi gửi lại."
TOO_MANY = "Mỗi hồ sơ có tối đa {limit} tệp bằng chứng."
MISSING = "Không tìm thấy tệp bằng chứng «{name}» trong kho lưu trữ."
ALTERED = "Tệp bằng chứng «{name}» đã bị thay đổi: mã SHA-256 không khớp."


def _name(uploaded) -> str:
    """Return the file's own name, without any folder a browser or a hostile client put before it."""
    raw = str(getattr(uploaded, "name", "") or "")
    return re.split(r"[\\/]", raw)[-1].strip() or "tep"


def clean_name(uploaded, content_type: str) -> str:
    """Return the name the file is kept and offered under: its own name, at most NAME_MAX characters, ending with
    the suffix of its real type (a PDF sent as «anh.png» is offered as «anh.png.pdf»)."""
    name = _name(uploaded)
    suffixes = SUFFIXES[content_type]
    if not name.lower().endswith(suffixes):
        name += suffixes[0]
    if len(name) > NAME_MAX:
        suffix = Path(name).suffix[:10]
        name = name[:NAME_MAX - len(suffix)] + suffix
    return name


def _sniff(head: bytes) -> str | None:
    if head.startswith(b"%PDF-"):
        return PDF
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if head.startswith(b"\xff\xd8\xff"):
        return JPEG
    return None


def _whole(uploaded, content_type: str) -> bool:
    """Say whether the file reads as what its first bytes say: a PDF with its end marker, an image Pillow reads."""
    uploaded.seek(0)
    try:
        if content_type == PDF:
            size = uploaded.size
            uploaded.seek(max(0, size - PDF_TAIL))
            return b"%%EOF" in uploaded.read(PDF_TAIL)
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(uploaded) as image:
                expected = {PNG: "PNG", JPEG: "JPEG"}[content_type]
                if image.format != expected:
                    return False
                image.verify()
        return True
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombWarning, Image.DecompressionBombError):
        return False
    finally:
        uploaded.seek(0)


def check_upload(uploaded) -> tuple[str | None, list[str]]:
    """Return the file's type found from its content (PDF, PNG or JPEG) and every reason it is refused (in
    Vietnamese; empty when it is taken). Reads the file, writes nothing."""
    if uploaded is None:
        return None, [NO_FILE]
    name = _name(uploaded)
    if has_control(name):
        return None, [BAD_NAME]
    shown = name[:60]
    size, limit = uploaded.size or 0, settings.THIDUA_EVIDENCE_MAX_BYTES
    if size == 0:
        return None, [EMPTY.format(name=shown)]
    if size > limit:
        return None, [TOO_LARGE.format(name=shown, size=vn.number(size), limit=vn.number(limit))]
    uploaded.seek(0)
    content_type = _sniff(uploaded.read(8))
    uploaded.seek(0)
    if content_type is None:
        return None, [BAD_TYPE.format(name=shown)]
    if not _whole(uploaded, content_type):
        return content_type, [BROKEN.format(name=shown, kind=content_type.split("/")[-1].upper())]
    return content_type, []


def path_of(evidence: Evidence) -> Path:
    """Return where an evidence file is kept (DATA_DIR/evidence/ab/abcd…); refuse a hash that is not one."""
    if not SHA256.fullmatch(evidence.sha256 or ""):
        raise StepError(ALTERED.format(name=evidence.name))
    return Path(settings.DATA_DIR) / FOLDER / evidence.sha256[:2] / evidence.sha256


def _keep(uploaded) -> tuple[str, int]:
    """Write the file under its SHA-256 (atomically: a reader never finds half a file); return (hash, size)."""
    folder = Path(settings.DATA_DIR) / FOLDER
    folder.mkdir(parents=True, exist_ok=True)
    digest, size = hashlib.sha256(), 0
    uploaded.seek(0)
    out = tempfile.NamedTemporaryFile(dir=folder, prefix=".upload-", delete=False)  # noqa: SIM115 -- closed below
    try:
        # Closing is inside: a full disk may refuse only the last buffered bytes, as the file closes.
        with out:
            for chunk in uploaded.chunks() if hasattr(uploaded, "chunks") else iter(lambda: uploaded.read(1 << 16),
                                                                                      b""):
                digest.update(chunk)
                size += len(chunk)
                out.write(chunk)
    except BaseException:
        os.unlink(out.name)
        raise
    sha = digest.hexdigest()
    target = folder / sha[:2] / sha
    target.parent.mkdir(exist_ok=True)
    if target.exists():
        os.unlink(out.name)
    else:
        os.chmod(out.name, 0o600)
        os.replace(out.name, target)
    return sha, size


def store(campaign, uploaded, *, actor: str, nomination=None, appeal=None, note: str = "",
          changeset=None) -> Evidence:
    """Check and keep one evidence file of an appeal or a nomination; raise StepError (nothing kept) if refused.

    The record is an audited change ("bang_chung") of `changeset` — the act it belongs to (filing the appeal,
    proposing the nomination) — or, when none is given, an act of its own. Call it inside a transaction.
    """
    if (nomination is None) == (appeal is None):
        raise ValueError("store() takes exactly one of nomination or appeal")
    content_type, problems = check_upload(uploaded)
    if problems:
        raise StepError(problems)
    owner = {"appeal": appeal} if appeal is not None else {"nomination": nomination}
    limit = settings.THIDUA_EVIDENCE_MAX_FILES
    if Evidence.objects.filter(**owner).count() >= limit:
        raise StepError(TOO_MANY.format(limit=limit))
    note = (note or "").strip()
    if has_control(note):
        raise StepError("Ghi chú của tệp có ký tự điều khiển.")
    sha, size = _keep(uploaded)
    evidence = Evidence.objects.create(campaign=campaign, name=clean_name(uploaded, content_type),
                                       content_type=content_type, size=size, sha256=sha, note=note,
                                       uploaded_by=actor, uploaded_at=clock.now(), **owner)
    own_act = changeset is None
    if own_act:
        changeset = changeset_open(campaign=campaign, actor=actor, source="web",
                                   reason=note or f"Tải lên tệp bằng chứng «{evidence.name}»")
    of = f"khieu_nai#{appeal.number}" if appeal is not None else f"de_nghi#{nomination.pk}"
    record_change(changeset, "bang_chung", f"{campaign.code}/{of}/{evidence.pk}", None,
                  {"ten_tep": evidence.name, "loai_tep": content_type, "dung_luong": size, "sha256": sha,
                   "ghi_chu": note})
    if own_act:
        changeset_seal(changeset)
    return evidence


def read(evidence: Evidence) -> bytes:
    """Return an evidence file's exact bytes, checked against the hash it was kept under; StepError if the file is
    missing or altered."""
    try:
        data = path_of(evidence).read_bytes()
    except FileNotFoundError:
        raise StepError(MISSING.format(name=evidence.name)) from None
    if hashlib.sha256(data).hexdigest() != evidence.sha256:
        raise StepError(ALTERED.format(name=evidence.name))
    return data
