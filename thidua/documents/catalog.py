"""Every document a campaign issues: its kind (the register's), its file name and type, how it is made. The
Word documents are this package's; the workbook and the Bằng khen are made by `tables` and `certificates`."""

import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from thidua.awards.models import DocumentKind, Snapshot
from thidua.awards.selectors import latest_snapshot
from thidua.campaigns.models import Campaign

from .decision import decision_docx
from .facts import DOCUMENT_STATUSES, NOT_SCORED, DocumentError, document_facts
from .proposal import proposal_docx
from .report import report_docx

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PDF = "application/pdf"


@dataclass(frozen=True)
class Kind:
    code: str  # DocumentKind
    file_name: str  # as the command writes it and the site serves it
    content_type: str
    make: Callable[[Campaign, Snapshot], bytes]

    @property
    def extension(self) -> str:
        return self.file_name.rsplit(".", 1)[1]

    @property
    def label(self) -> str:
        return DocumentKind(self.code).label


def _word(generator, approved_only: bool | None = None) -> Callable[[Campaign, Snapshot], bytes]:
    return lambda campaign, snapshot: generator(document_facts(campaign, snapshot, approved_only=approved_only))


def _through_file(make_file: Callable[[Path], None], name: str) -> bytes:
    """Return the bytes of a file that a maker writes to a path (the workbook's and the PDF's makers do)."""
    with tempfile.TemporaryDirectory(prefix="thidua-doc-") as folder:
        path = Path(folder) / name
        make_file(path)
        return path.read_bytes()


def _workbook(campaign: Campaign, snapshot: Snapshot) -> bytes:
    from .tables import reward_workbook
    return _through_file(lambda path: reward_workbook(campaign, snapshot, path), "khen-thuong.xlsx")


def _certificates(campaign: Campaign, snapshot: Snapshot) -> bytes:
    from .certificates import certificates_pdf
    return _through_file(lambda path: certificates_pdf(campaign, snapshot, path), "bang-khen.pdf")


def _frame(campaign: Campaign, snapshot: Snapshot) -> bytes:
    from .certificates import frame_pdf
    return _through_file(lambda path: frame_pdf(campaign, path), "bang-khen-thu.pdf")


KINDS: dict[str, Kind] = {k.code: k for k in (
    Kind(DocumentKind.PROPOSAL, "to-trinh.docx", DOCX, _word(proposal_docx)),
    # The decision awards only what the council approved, whatever the step.
    Kind(DocumentKind.DECISION, "quyet-dinh.docx", DOCX, _word(decision_docx, approved_only=True)),
    Kind(DocumentKind.REPORT, "bao-cao-tong-ket.docx", DOCX, _word(report_docx)),
    Kind(DocumentKind.TABLES, "khen-thuong.xlsx", XLSX, _workbook),
    Kind(DocumentKind.CERTIFICATES, "bang-khen.pdf", PDF, _certificates),
    Kind(DocumentKind.FRAME, "bang-khen-thu.pdf", PDF, _frame),
)}


def frozen_snapshot(campaign: Campaign) -> Snapshot:
    """Return the latest snapshot of a campaign scored or later; raise DocumentError before."""
    snapshot = latest_snapshot(campaign) if campaign.status in DOCUMENT_STATUSES else None
    if snapshot is None:
        raise DocumentError(NOT_SCORED.format(code=campaign.code, status=campaign.get_status_display()))
    return snapshot


def render(campaign: Campaign, kind: str, snapshot: Snapshot | None = None) -> bytes:
    """Return the bytes of one document of a campaign, made from `snapshot` (the latest by default)."""
    if kind not in KINDS:
        raise DocumentError(f"Không có loại văn bản «{str(kind)[:40]}».")
    return KINDS[kind].make(campaign, snapshot or frozen_snapshot(campaign))
