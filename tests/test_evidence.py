"""Evidence files (thidua/awards/evidence.py): type by content, size limit, kept by SHA-256, read back checked."""

import hashlib
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from thidua.audit.models import Change
from thidua.awards import evidence
from thidua.awards.models import Appeal, AppealKind
from thidua.awards.services import StepError
from thidua.campaigns import clock
from thidua.units.models import Unit

PDF_BYTES = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def image_bytes(fmt: str) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (4, 3), (200, 30, 30)).save(out, format=fmt)
    return out.getvalue()


@pytest.fixture(autouse=True)
def _data_dir(settings, tmp_path):
    settings.DATA_DIR = tmp_path / "data"


@pytest.fixture
def appeal(campaign):
    unit = Unit.objects.get(campaign=campaign, code="CAH-VTH")
    return Appeal.objects.create(campaign=campaign, number=1, unit=unit, kind=AppealKind.RULE, rule="Điểm thời gian",
                                 reason="thử", filed_by="kiem-thu", filed_at=clock.now())


@pytest.mark.parametrize(("data", "expected"), [
    (PDF_BYTES, evidence.PDF), (image_bytes("PNG"), evidence.PNG), (image_bytes("JPEG"), evidence.JPEG)])
def test_a_pdf_or_an_image_is_taken_by_its_content(data, expected):
    content_type, problems = evidence.check_upload(SimpleUploadedFile("bat-ky.bin", data))
    assert (content_type, problems) == (expected, [])


@pytest.mark.parametrize("data", [
    b"MZ\x90\x00 an executable named .pdf", b"<html><script>alert(1)</script></html>", b"GIF89a\x01\x00",
    b"%PD", b"PK\x03\x04 a zip"])
def test_other_content_disguised_as_a_pdf_is_refused(data):
    content_type, problems = evidence.check_upload(SimpleUploadedFile("ho-so.pdf", data, "application/pdf"))
    assert content_type is None
    assert problems == [evidence.BAD_TYPE.format(name="ho-so.pdf")]


@pytest.mark.parametrize("data", [b"%PDF-1.4 cut off before its end", b"\x89PNG\r\n\x1a\n" + b"\x00" * 40,
                                  b"\xff\xd8\xff\xe0 not a jpeg"])
def test_a_file_with_the_right_first_bytes_but_broken_is_refused(data):
    _, problems = evidence.check_upload(SimpleUploadedFile("anh.png", data))
    assert len(problems) == 1 and "nội dung hỏng" in problems[0]


def test_a_file_over_the_limit_is_refused(settings):
    settings.THIDUA_EVIDENCE_MAX_BYTES = 100
    data = PDF_BYTES + b" " * 100
    _, problems = evidence.check_upload(SimpleUploadedFile("lon.pdf", data))
    assert problems == [evidence.TOO_LARGE.format(name="lon.pdf", size=len(data), limit=100)]


def test_an_empty_file_is_refused():
    assert evidence.check_upload(SimpleUploadedFile("rong.pdf", b""))[1] == [evidence.EMPTY.format(name="rong.pdf")]


def test_store_keeps_the_file_by_its_hash_outside_the_web_root_and_records_it(campaign, appeal, settings):
    data = image_bytes("PNG")
    kept = evidence.store(campaign, SimpleUploadedFile("../../etc/anh chup.png", data), actor="huyen", appeal=appeal,
                          note="Ảnh sổ tiếp nhận")
    sha = hashlib.sha256(data).hexdigest()
    assert (kept.name, kept.content_type, kept.size, kept.sha256) == ("anh chup.png", evidence.PNG, len(data), sha)
    assert evidence.path_of(kept) == settings.DATA_DIR / "evidence" / sha[:2] / sha
    assert evidence.read(kept) == data
    change = Change.objects.get(entity="bang_chung")
    assert change.after["sha256"] == sha and change.changeset.actor == "huyen"


def test_the_name_gets_the_suffix_of_the_real_type(campaign, appeal):
    kept = evidence.store(campaign, SimpleUploadedFile("bien-ban.png", PDF_BYTES), actor="huyen", appeal=appeal)
    assert kept.name == "bien-ban.png.pdf"


def test_the_same_bytes_twice_are_kept_once(campaign, appeal, settings):
    for name in ("a.pdf", "b.pdf"):
        evidence.store(campaign, SimpleUploadedFile(name, PDF_BYTES), actor="huyen", appeal=appeal)
    assert len([p for p in (settings.DATA_DIR / "evidence").rglob("*") if p.is_file()]) == 1


def test_a_refused_file_leaves_nothing(campaign, appeal, settings):
    with pytest.raises(StepError) as refused:
        evidence.store(campaign, SimpleUploadedFile("x.pdf", b"not a pdf"), actor="huyen", appeal=appeal)
    assert refused.value.problems == [evidence.BAD_TYPE.format(name="x.pdf")]
    assert not appeal.evidence.exists() and not (settings.DATA_DIR / "evidence").exists()


def test_the_number_of_files_per_appeal_is_limited(campaign, appeal, settings):
    settings.THIDUA_EVIDENCE_MAX_FILES = 2
    for n in range(2):
        evidence.store(campaign, SimpleUploadedFile(f"{n}.pdf", PDF_BYTES + bytes([n])), actor="huyen", appeal=appeal)
    with pytest.raises(StepError, match="tối đa 2 tệp"):
        evidence.store(campaign, SimpleUploadedFile("3.pdf", PDF_BYTES), actor="huyen", appeal=appeal)


def test_an_altered_or_missing_file_is_not_read(campaign, appeal):
    kept = evidence.store(campaign, SimpleUploadedFile("a.pdf", PDF_BYTES), actor="huyen", appeal=appeal)
    path = evidence.path_of(kept)
    path.write_bytes(PDF_BYTES + b"changed")
    with pytest.raises(StepError, match="đã bị thay đổi"):
        evidence.read(kept)
    path.unlink()
    with pytest.raises(StepError, match="Không tìm thấy"):
        evidence.read(kept)


def test_a_stored_hash_that_is_not_one_never_becomes_a_path(campaign, appeal):
    kept = evidence.store(campaign, SimpleUploadedFile("a.pdf", PDF_BYTES), actor="huyen", appeal=appeal)
    kept.sha256 = "../../secret-key"
    with pytest.raises(StepError):
        evidence.path_of(kept)
