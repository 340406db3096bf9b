"""Appeals while the results are published (thidua/awards/appeals.py, thidua/web/appeals.py): who files what and
when, PC06's decision, the correction re-scored into a new snapshot with the old one kept, the change in ranks,
proposing held while an appeal is open, and who sees each page and file.

The base dataset scores CAH-VTH first (185 applications) and CAH-NBA second (105); an accepted appeal raising
TO-NBA-1's 02/03/2021 (M-NBA-01, commune 31340) from 75 to 1.500 puts CAH-NBA first.
"""

import datetime as dt
import hashlib
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from lifecycle import advance_to, moment, step_fields
from PIL import Image

from thidua.accounts.models import Role
from thidua.accounts.services import user_create
from thidua.audit.models import Change, ChangeSet
from thidua.awards import appeals, evidence
from thidua.awards.changes import rank_changes
from thidua.awards.models import Appeal, AppealStatus, Evidence, Snapshot
from thidua.awards.services import StepError, campaign_advance
from thidua.campaigns import clock
from thidua.campaigns.models import Status
from thidua.intake.models import IntakeRecord
from thidua.units.models import Unit

pytestmark = pytest.mark.django_db
C = "hau-giang-2021"
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
NBA_DAY = {"team": "TO-NBA-1", "day": "02/03/2021", "expected": "1500"}
VTH_DAY = {"team": "TO-VTH-1", "day": "02/03/2021", "expected": "90"}
PERSONAS = {
    "quan_tri": (Role.ADMIN, "PC06"),
    "pc06": (Role.PC06, "PC06"),
    "hoi_dong": (Role.COUNCIL, None),
    "huyen": (Role.DISTRICT, "CAH-VTH"),
    "to": (Role.TEAM, "TO-VTH-1"),
    "xem": (Role.VIEWER, "PC06"),
}
ORDER = list(PERSONAS)


def at(day: int, hour: int = 10) -> dt.datetime:
    return timezone.make_aware(dt.datetime(2021, 7, day, hour))


WITHIN = at(5)  # published on 04/07/2021, appeals until 09/07/2021


@pytest.fixture(autouse=True)
def _data_dir(settings, tmp_path):
    settings.DATA_DIR = tmp_path / "data"


@pytest.fixture
def published(campaign):
    return advance_to(campaign, Status.PUBLISHED)


@pytest.fixture
def person(campaign):
    made = {}

    def get(name):
        if name not in made:
            role, unit = PERSONAS.get(name) or (Role.DISTRICT if name.startswith("CAH") else Role.TEAM, name)
            made[name] = user_create(username=f"p-{name}", password="Mat-khau-2021", role=role, actor="kiem-thu",
                                     unit=Unit.objects.get(campaign=campaign, code=unit) if unit else None)
        return made[name]
    return get


@pytest.fixture
def sign_in(person, client):
    def login(name):
        client.force_login(person(name))
        return client
    return login


def file(campaign, user, kind="day", files=(), **fields):
    fields.setdefault("reason", "Sổ tiếp nhận ghi nhiều hơn số đã nhập.")
    with clock.at(WITHIN):
        return appeals.file_appeal(campaign=campaign, user=user, kind=kind, files=files, **fields)


def decide(appeal, accept=True, role=Role.PC06, reason="Đã đối chiếu sổ tiếp nhận."):
    with clock.at(WITHIN):
        return appeals.decide_appeal(appeal=appeal, actor="pc06", role=role, accept=accept, reason=reason)


def png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (3, 3)).save(out, format="PNG")
    return out.getvalue()


def problems_of(fn) -> list[str]:
    with pytest.raises(StepError) as refused:
        fn()
    return refused.value.problems


# --- filing ---------------------------------------------------------------------------------------------------

def test_a_district_files_for_its_team_with_the_value_recorded_now(published, person):
    appeal = file(published, person("CAH-NBA"), **NBA_DAY, files=[SimpleUploadedFile("so.pdf", PDF)])
    assert (appeal.number, appeal.unit.code, appeal.team.code, appeal.day) == (1, "CAH-NBA", "TO-NBA-1",
                                                                                dt.date(2021, 3, 2))
    assert (appeal.machine.code, appeal.commune.code) == ("M-NBA-01", "31340")  # the day's only row
    assert (appeal.current_value, appeal.expected_value, appeal.status) == (75, 1500, AppealStatus.FILED)
    assert [e.name for e in appeal.evidence.all()] == ["so.pdf"]
    act = ChangeSet.objects.get(changes__entity="khieu_nai")
    assert act.actor == "p-CAH-NBA" and act.reason.startswith("Khiếu nại số 1: ")
    assert sorted(act.changes.values_list("entity", flat=True)) == ["bang_chung", "khieu_nai"]


def test_a_team_files_for_itself_and_numbers_follow(published, person):
    first = file(published, person("to"), **VTH_DAY)
    second = file(published, person("to"), kind="rule", rule="Điểm thời gian")
    assert (first.number, second.number, first.unit.code) == (1, 2, "TO-VTH-1")


def test_a_day_with_several_rows_needs_the_machine_and_the_commune(published, person):
    fields = {"team": "TO-VTH-1", "day": "01/03/2021", "expected": "100"}
    found = problems_of(lambda: file(published, person("huyen"), **fields))
    assert "có nhiều dòng số liệu" in found[0] and "M-VTH-01 / 31318" in found[0]
    appeal = file(published, person("huyen"), **fields, commune="31321")
    assert (appeal.machine.code, appeal.current_value) == ("M-VTH-01", 40)


def test_a_row_not_recorded_may_be_appealed_with_its_machine_and_commune(published, person):
    appeal = file(published, person("huyen"), team="TO-VTH-1", day="05/03/2021", machine="M-VTH-01",
                  commune="31318", expected="50")
    assert appeal.current_value == 0


@pytest.mark.parametrize("when", [at(4, 10), at(9, 23), at(10, 0)])
def test_filing_only_within_the_window(published, person, when):
    outside = when.date() > dt.date(2021, 7, 9)
    with clock.at(when):
        if outside:
            assert problems_of(lambda: appeals.file_appeal(campaign=published, user=person("huyen"), kind="day",
                                                           reason="x", **VTH_DAY)) == [
                appeals.WINDOW_CLOSED.format(until="09/07/2021")]
        else:
            appeals.file_appeal(campaign=published, user=person("huyen"), kind="day", reason="x", **VTH_DAY)


@pytest.mark.parametrize("status", [Status.SCORED, Status.PROPOSED])
def test_filing_refused_before_publication_and_after_the_proposal(campaign, person, status):
    campaign = advance_to(campaign, status)
    with clock.at(moment(campaign, status)):
        found = problems_of(lambda: appeals.file_appeal(campaign=campaign, user=person("huyen"), kind="day",
                                                        reason="x", **VTH_DAY))
    assert found == [appeals.WINDOW_NOT_OPEN]


@pytest.mark.parametrize("who", ["pc06", "quan_tri", "hoi_dong", "xem"])
def test_only_districts_and_teams_file(published, person, who):
    assert problems_of(lambda: file(published, person(who), **VTH_DAY)) == [appeals.NOT_FILER]


@pytest.mark.parametrize(("who", "team"), [("huyen", "TO-NBA-1"), ("to", "TO-NBA-1"), ("TO-NBA-1", "TO-VTH-1"),
                                           ("huyen", "CAH-NBA")])
def test_nobody_files_for_a_team_outside_their_unit(published, person, who, team):
    found = problems_of(lambda: file(published, person(who), team=team, day="02/03/2021", expected="9"))
    assert found == [f"Không có tổ «{team}» trong đơn vị của bạn."]
    assert not Appeal.objects.exists()


@pytest.mark.parametrize(("fields", "expected"), [
    ({"day": "31/02/2021"}, "Ngày «31/02/2021» không hợp lệ (cần dd/mm/yyyy)."),
    ({"day": "2021-13-01"}, "Ngày «2021-13-01» không hợp lệ (cần dd/mm/yyyy)."),
    ({"day": "../../etc"}, "Ngày «../../etc» không hợp lệ (cần dd/mm/yyyy)."),
    ({"day": "01/01/2021"}, "Ngày 01/01/2021 nằm ngoài thời gian thi đua (25/02/2021 – 01/07/2021)."),
    ({"day": "01/03/2021 " * 3}, "Ngày dài 32 ký tự, quá mức 10 ký tự."),
    ({"expected": "-5"}, "Số hồ sơ mong muốn «-5» phải là số nguyên không âm (ví dụ 120)."),
    ({"expected": "<script>"}, "Số hồ sơ mong muốn «<script>» phải là số nguyên không âm (ví dụ 120)."),
    ({"expected": "2001"}, "Số hồ sơ mong muốn 2.001 vượt mức tối đa 2.000 hồ sơ một máy một ngày."),
    ({"expected": "60"}, "Số hồ sơ mong muốn bằng số đang ghi nhận (60): không có gì để khiếu nại."),
    ({"day": "01/03/2021", "commune": "31321", "expected": "1961"},
     "Với số mong muốn, máy M-VTH-01 thu nhận 2.046 hồ sơ ngày 01/03/2021, vượt mức tối đa 2.000 hồ sơ một máy "
     "một ngày."),
    ({"expected": ""}, "Cần ghi số hồ sơ mong muốn."),
    ({"team": "TO/../VTH"}, "Không có tổ «TO/../VTH» trong đơn vị của bạn."),
    ({"day": "05/03/2021"}, "Ngày 05/03/2021 tổ TO-VTH-1 không có số liệu nào khớp: ghi cả mã máy và mã xã của dòng "
                            "cần bổ sung."),
    ({"machine": "M-NBA-01", "commune": "31340"}, "Máy M-NBA-01 không thuộc tổ TO-VTH-1 ngày 02/03/2021."),
    ({"machine": "M-VTH-01", "commune": "31340"}, "Xã 31340 không thuộc địa bàn của tổ TO-VTH-1."),
    ({"reason": ""}, "Cần ghi lý do khiếu nại."),
    ({"reason": "a\x00b"}, "Lý do khiếu nại có ký tự điều khiển (như NUL): xóa ký tự đó rồi gửi lại."),
    ({"reason": "x" * 901}, "Lý do khiếu nại dài 901 ký tự, quá mức 900 ký tự."),
    ({"team": "TO\x00"}, "Tổ có ký tự điều khiển (như NUL): xóa ký tự đó rồi gửi lại."),
])
def test_bad_input_is_named_and_nothing_is_written(published, person, fields, expected):
    user = person("huyen")
    acts = ChangeSet.objects.count()
    found = problems_of(lambda: file(published, user, **{**VTH_DAY, "expected": "61", **fields}))
    assert expected in found
    assert not Appeal.objects.exists() and ChangeSet.objects.count() == acts


@pytest.mark.parametrize(("fields", "expected"), [
    ({"rule": ""}, "Cần ghi nội dung cách tính điểm bị khiếu nại."),
    ({"rule": "r" * 201}, "Nội dung cách tính điểm bị khiếu nại dài 201 ký tự, quá mức 200 ký tự."),
    ({"kind": "other"}, "Cần chọn loại khiếu nại: số liệu một ngày của tổ, hoặc cách tính điểm."),
])
def test_a_rule_appeal_needs_its_rule(published, person, fields, expected):
    found = problems_of(lambda: file(published, person("huyen"), **{"kind": "rule", **fields}))
    assert found == [expected]


@pytest.mark.parametrize(("upload", "expected"), [
    (SimpleUploadedFile("bien-ban.pdf", b"MZ\x90\x00 an executable", "application/pdf"),
     evidence.BAD_TYPE.format(name="bien-ban.pdf")),
    (SimpleUploadedFile("anh.png", b"<svg onload=alert(1)>", "image/png"), evidence.BAD_TYPE.format(name="anh.png")),
    (SimpleUploadedFile("lon.pdf", PDF + b" " * (5 * 1024 * 1024)), "nặng 5.242.925 byte, quá mức 5.242.880 byte"),
])
def test_evidence_of_the_wrong_kind_or_too_large_is_refused(published, person, upload, expected):
    found = problems_of(lambda: file(published, person("huyen"), **VTH_DAY, files=[upload]))
    assert any(expected in p for p in found)
    assert not Appeal.objects.exists() and not Evidence.objects.exists()


def test_too_many_files_are_refused(published, person, settings):
    settings.THIDUA_EVIDENCE_MAX_FILES = 1
    uploads = [SimpleUploadedFile(f"{n}.pdf", PDF) for n in range(2)]
    assert problems_of(lambda: file(published, person("huyen"), **VTH_DAY, files=uploads)) == [
        evidence.TOO_MANY.format(limit=1)]


def test_a_row_with_an_open_appeal_takes_no_second_one(published, person):
    file(published, person("to"), **VTH_DAY)
    found = problems_of(lambda: file(published, person("huyen"), **{**VTH_DAY, "expected": "95"}))
    assert found == ["Dòng số liệu này đang có khiếu nại số 1 chờ giải quyết."]


# --- deciding -------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("role", [Role.ADMIN, Role.COUNCIL, Role.DISTRICT, Role.TEAM, Role.VIEWER, None])
def test_only_pc06_decides(published, person, role):
    appeal = file(published, person("CAH-NBA"), **NBA_DAY)
    assert problems_of(lambda: decide(appeal, role=role)) == [appeals.ONLY_PC06]
    assert Appeal.objects.get(pk=appeal.pk).status == AppealStatus.FILED


def test_an_accepted_day_appeal_corrects_the_row_and_rescores_into_a_new_snapshot(published, person):
    first = Snapshot.objects.get(campaign=published)
    first_bytes = first.data.encode()
    appeal = file(published, person("CAH-NBA"), **NBA_DAY)
    decision = decide(appeal)
    appeal.refresh_from_db()
    assert decision.corrected and appeal.status == AppealStatus.ACCEPTED
    record = IntakeRecord.objects.get(day=dt.date(2021, 3, 2), machine__code="M-NBA-01", commune__code="31340")
    assert record.applications == 1500
    correction = ChangeSet.objects.get(changes__entity="thu_nhan", changes__key="2021-03-02|M-NBA-01|31340")
    assert "khiếu nại số 1" in correction.reason and correction.actor == "pc06"
    assert list(Snapshot.objects.filter(campaign=published).values_list("version", flat=True)) == [1, 2]
    second = Snapshot.objects.get(campaign=published, version=2)
    assert (appeal.snapshot_before, appeal.snapshot_after, second.appeal) == (first, second, appeal)
    first.refresh_from_db()
    assert first.data.encode() == first_bytes and first.intact and second.intact
    changes = {r.unit: r for g in appeals.appeal_changes(appeal) if g.code == "cap_huyen" for r in g.rows}
    assert (changes["CAH-NBA"].rank_before, changes["CAH-NBA"].rank_after) == (2, 1)
    assert (changes["CAH-VTH"].rank_before, changes["CAH-VTH"].rank_after) == (1, 2)
    decided = Change.objects.get(entity="khieu_nai", before__isnull=False)
    assert decided.after["trang_thai"] == "accepted" and decided.after["ban_chot_sau"] == 2


def test_a_verified_day_is_corrected_by_an_accepted_appeal(published, person):
    from thidua.intake.models import DailyReport, ReportStatus
    team = Unit.objects.get(code="TO-NBA-1")
    DailyReport.objects.update_or_create(campaign=published, team=team, day=dt.date(2021, 3, 2),
                                         defaults={"status": ReportStatus.VERIFIED})
    decide(file(published, person("CAH-NBA"), **NBA_DAY))
    assert IntakeRecord.objects.get(day=dt.date(2021, 3, 2), machine__code="M-NBA-01").applications == 1500


def test_a_rejected_appeal_changes_nothing_but_itself(published, person):
    appeal = file(published, person("CAH-NBA"), **NBA_DAY)
    decision = decide(appeal, accept=False, reason="Sổ không khớp.")
    appeal.refresh_from_db()
    assert not decision.corrected and appeal.status == AppealStatus.REJECTED
    assert appeal.decision_reason == "Sổ không khớp." and appeal.snapshot_after is None
    assert IntakeRecord.objects.get(day=dt.date(2021, 3, 2), machine__code="M-NBA-01").applications == 75
    assert Snapshot.objects.filter(campaign=published).count() == 1
    assert not Change.objects.filter(entity__in=["thu_nhan", "ket_qua_chot"], changeset__reason__contains="khiếu nại")


def test_an_accepted_rule_appeal_changes_no_data_and_says_the_council_must_step_back(published, person):
    appeal = file(published, person("huyen"), kind="rule", rule="Điểm thời gian")
    decision = decide(appeal)
    assert decision.note == appeals.RULE_NOTE and not decision.corrected
    assert Snapshot.objects.filter(campaign=published).count() == 1


def test_an_appeal_is_decided_once(published, person):
    appeal = file(published, person("CAH-NBA"), **NBA_DAY)
    decide(appeal, accept=False)
    assert problems_of(lambda: decide(appeal)) == ["Khiếu nại số 1 đã được giải quyết: Không chấp nhận."]


def test_a_decision_needs_a_reason_and_refuses_a_nul(published, person):
    appeal = file(published, person("CAH-NBA"), **NBA_DAY)
    assert problems_of(lambda: decide(appeal, reason=" ")) == ["Cần ghi lý do giải quyết."]
    assert "ký tự điều khiển" in problems_of(lambda: decide(appeal, reason="a\x00"))[0]


def test_proposing_is_refused_while_an_appeal_is_open(published, person):
    appeal = file(published, person("CAH-NBA"), **NBA_DAY)
    with clock.at(moment(published, Status.PROPOSED)), pytest.raises(StepError) as refused:
        campaign_advance(campaign=published, to=Status.PROPOSED, actor="pc06", reason="Trình",
                         fields=step_fields(published, Status.PROPOSED))
    assert "Còn khiếu nại chưa giải quyết: số 1." in refused.value.problems
    decide(appeal, accept=False)
    assert advance_to(published, Status.PROPOSED).status == Status.PROPOSED


def test_rank_changes_compare_two_payloads():
    def payload(rows):
        return {"groups": [{"code": "g", "name": "G", "standings": [
            {"unit": u, "name": u, "rank": r, "prize_rank": r, "total": t, "award": {"tier": r} if r < 2 else None}
            for u, r, t in rows]}]}
    [group] = rank_changes(payload([("A", 1, "9.00"), ("B", 2, "5.00")]),
                           payload([("B", 1, "9.50"), ("A", 2, "9.00"), ("C", 3, "1.00")]))
    b, a, c = group.rows
    assert (b.unit, b.rank_before, b.rank_after, b.tier_before, b.tier_after, b.moved) == ("B", 2, 1, None, 1, 1)
    assert (a.moved, a.total_before, a.total_after, a.changed) == (-1, "9.00", "9.00", True)
    assert (c.rank_before, c.rank_after) == (None, 3)
    assert [r.unit for r in group.changed] == ["B", "A", "C"]


# --- pages ----------------------------------------------------------------------------------------------------

def test_filing_through_the_form(published, sign_in):
    client = sign_in("CAH-NBA")
    with clock.at(WITHIN):
        response = client.post(reverse("appeal_file", args=[C]), {
            "loai": "day", "to": "TO-NBA-1", "ngay": "02/03/2021", "may": "", "xa": "", "so_mong_muon": "1500",
            "cach_tinh": "", "ly_do": "Sổ tiếp nhận", "tep": [SimpleUploadedFile("so.png", png())]})
    assert response.status_code == 302 and response["Location"] == reverse("appeal_detail", args=[C, 1])
    assert Appeal.objects.get().evidence.get().content_type == "image/png"


def test_the_form_names_every_problem_in_vietnamese(published, sign_in):
    client = sign_in("huyen")
    with clock.at(WITHIN):
        response = client.post(reverse("appeal_file", args=[C]), {
            "loai": "day", "to": "TO-NBA-1", "ngay": "32/01/2021", "so_mong_muon": "x", "ly_do": "",
            "tep": [SimpleUploadedFile("ho-so.pdf", b"<html>")]})
    body = response.content.decode()
    assert response.status_code == 400 and not Appeal.objects.exists()
    for text in ("Chưa gửi: sửa những điều dưới đây", "Ngày «32/01/2021» không hợp lệ", "Cần ghi lý do khiếu nại.",
                 "Không có tổ «TO-NBA-1» trong đơn vị của bạn.", "không phải PDF, PNG hay JPEG"):
        assert text in body


def test_a_nul_in_the_form_is_refused_before_the_view(published, sign_in):
    with clock.at(WITHIN):
        response = sign_in("huyen").post(reverse("appeal_file", args=[C]), {**VTH_DAY, "loai": "day",
                                                                            "ly_do": "a\x00b"})
    assert response.status_code == 400 and not Appeal.objects.exists()


def test_the_form_out_of_the_window_goes_back_to_the_list(published, sign_in):
    with clock.at(at(10)):
        response = sign_in("huyen").get(reverse("appeal_file", args=[C]))
    assert response.status_code == 302 and response["Location"] == reverse("appeal_list", args=[C])


def test_deciding_through_the_page_shows_the_change_in_ranks(published, person, sign_in):
    file(published, person("CAH-NBA"), **NBA_DAY)
    client = sign_in("pc06")
    with clock.at(WITHIN):
        response = client.post(reverse("appeal_decide", args=[C, 1]), {"quyet_dinh": "chap_nhan",
                                                                        "ly_do": "Đúng sổ"}, follow=True)
    body = response.content.decode()
    assert "Thay đổi thứ hạng" in body and "Đã sửa số liệu và chấm lại: bản chốt kết quả số 2" in body
    assert '<span class="before">2</span> → <span class="after">1</span>' in body


def test_a_decision_without_a_verdict_changes_nothing(published, person, sign_in):
    file(published, person("CAH-NBA"), **NBA_DAY)
    with clock.at(WITHIN):
        response = sign_in("pc06").post(reverse("appeal_decide", args=[C, 1]), {"ly_do": "x"})
    assert response.status_code == 400 and "Cần chọn chấp nhận hay không chấp nhận." in response.content.decode()
    assert Appeal.objects.get().status == AppealStatus.FILED


def test_both_snapshots_are_downloadable_with_their_exact_hash(published, person, sign_in):
    decide(file(published, person("CAH-NBA"), **NBA_DAY))
    client = sign_in("xem")
    page = client.get(reverse("snapshot_list", args=[C])).content.decode()
    for snapshot in Snapshot.objects.filter(campaign=published):
        response = client.get(reverse("snapshot_json", args=[C, snapshot.version]))
        assert hashlib.sha256(response.content).hexdigest() == snapshot.sha256
        assert response["Content-Disposition"].startswith("attachment")
        assert snapshot.sha256 in page
    assert "Thay đổi thứ hạng từ bản số 1 sang bản số 2" in page and "Khiếu nại số 1" in page


def test_evidence_is_served_as_an_attachment_that_is_not_sniffed(published, person, sign_in):
    data = png()
    appeal = file(published, person("huyen"), **VTH_DAY, files=[SimpleUploadedFile("anh.png", data)])
    item = appeal.evidence.get()
    response = sign_in("huyen").get(reverse("appeal_evidence", args=[C, 1, item.pk]))
    assert response.content == data and response["Content-Type"] == "image/png"
    assert response["Content-Disposition"] == 'attachment; filename="anh.png"'
    assert response["X-Content-Type-Options"] == "nosniff"


def test_an_altered_evidence_file_is_not_served(published, person, sign_in):
    appeal = file(published, person("huyen"), **VTH_DAY, files=[SimpleUploadedFile("a.pdf", PDF)])
    item = appeal.evidence.get()
    evidence.path_of(item).write_bytes(PDF + b"x")
    response = sign_in("pc06").get(reverse("appeal_evidence", args=[C, 1, item.pk]))
    assert response.status_code == 409 and "đã bị thay đổi" in response.content.decode()


# The matrix: every role × each page × an appeal of its own district (CAH-VTH's team TO-VTH-1 filed it) or of the
# other district (CAH-NBA filed it). 404: not in your scope; 403: your role may not.
MATRIX = [
    ("list", "get", lambda n, e: reverse("appeal_list", args=[C]), None,
     [200, 200, 200, 200, 200, 403], [200, 200, 200, 200, 200, 403]),
    ("file form", "get", lambda n, e: reverse("appeal_file", args=[C]), None,
     [403, 403, 403, 200, 200, 403], [403, 403, 403, 200, 200, 403]),
    ("file", "post", lambda n, e: reverse("appeal_file", args=[C]),
     lambda: {"loai": "rule", "cach_tinh": "Điểm", "ly_do": "Vì"},
     [403, 403, 403, 302, 302, 403], [403, 403, 403, 302, 302, 403]),
    ("detail", "get", lambda n, e: reverse("appeal_detail", args=[C, n]), None,
     [200, 200, 200, 200, 200, 403], [200, 200, 200, 404, 404, 403]),
    ("decide", "post", lambda n, e: reverse("appeal_decide", args=[C, n]),
     lambda: {"quyet_dinh": "khong_chap_nhan", "ly_do": "Không đủ căn cứ"},
     [403, 302, 403, 403, 403, 403], [403, 302, 403, 404, 404, 403]),
    ("evidence", "get", lambda n, e: reverse("appeal_evidence", args=[C, n, e]), None,
     [200, 200, 200, 200, 200, 403], [200, 200, 200, 404, 404, 403]),
    ("snapshots", "get", lambda n, e: reverse("snapshot_list", args=[C]), None,
     [200, 200, 200, 200, 200, 200], [200, 200, 200, 200, 200, 200]),
    ("snapshot json", "get", lambda n, e: reverse("snapshot_json", args=[C, 1]), None,
     [200, 200, 200, 200, 200, 200], [200, 200, 200, 200, 200, 200]),
]
CASES = [(row[0], who, where) for row in MATRIX for who in ORDER for where in ("own", "other")]


@pytest.fixture
def two_appeals(published, person):
    own = file(published, person("to"), **VTH_DAY, files=[SimpleUploadedFile("a.pdf", PDF)])
    other = file(published, person("CAH-NBA"), **NBA_DAY, files=[SimpleUploadedFile("b.pdf", PDF + b"b")])
    return {"own": own, "other": other}


@pytest.mark.parametrize(("page", "who", "where"), CASES, ids=[f"{p}-{w}-{o}" for p, w, o in CASES])
def test_matrix(page, who, where, two_appeals, sign_in):
    _, method, url, data, own, other = next(row for row in MATRIX if row[0] == page)
    appeal = two_appeals[where]
    address = url(appeal.number, appeal.evidence.get().pk)
    client = sign_in(who)
    with clock.at(WITHIN):
        response = client.get(address) if method == "get" else client.post(address, data())
    assert response.status_code == (own if where == "own" else other)[ORDER.index(who)], response.status_code


@pytest.mark.parametrize("row", MATRIX, ids=[row[0] for row in MATRIX])
def test_nobody_signed_out_gets_in(row, two_appeals, client):
    _, method, url, data, *_ = row
    address = url(1, two_appeals["own"].evidence.get().pk)
    response = client.get(address) if method == "get" else client.post(address, data())
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize(("status", "expected"), [
    (Status.CLOSED, [404, 404, 404, 404, 404, 404]), (Status.SCORED, [200, 200, 200, 403, 403, 403])])
def test_snapshots_open_from_scored_to_those_who_score_then_to_everyone(campaign, sign_in, status, expected):
    advance_to(campaign, status)
    for who, code in zip(ORDER, expected, strict=True):
        assert sign_in(who).get(reverse("snapshot_list", args=[C])).status_code == code, who


def test_the_appeal_pages_do_not_exist_before_publication(campaign, sign_in):
    advance_to(campaign, Status.SCORED)
    assert sign_in("pc06").get(reverse("appeal_list", args=[C])).status_code == 404


@pytest.mark.parametrize(("status", "who", "links"), [
    (Status.RUNNING, "pc06", []), (Status.SCORED, "pc06", ["snapshot_list"]), (Status.SCORED, "huyen", []),
    (Status.PUBLISHED, "huyen", ["snapshot_list", "appeal_list"]), (Status.PUBLISHED, "xem", ["snapshot_list"])])
def test_the_navigation_links_the_pages_only_when_they_open(campaign, sign_in, status, who, links):
    if campaign.status != status:
        advance_to(campaign, status)
    body = sign_in(who).get(reverse("standings", args=[C])).content.decode()
    for name in ("snapshot_list", "appeal_list"):
        assert (f'href="{reverse(name, args=[C])}"' in body) == (name in links), name


def test_a_district_lists_its_own_and_its_teams_appeals_only(two_appeals, sign_in):
    body = sign_in("huyen").get(reverse("appeal_list", args=[C])).content.decode()
    assert reverse("appeal_detail", args=[C, 1]) in body and reverse("appeal_detail", args=[C, 2]) not in body
    body = sign_in("hoi_dong").get(reverse("appeal_list", args=[C])).content.decode()
    assert reverse("appeal_detail", args=[C, 2]) in body



def test_the_form_keeps_a_valid_date_after_a_problem(published, sign_in):
    with clock.at(WITHIN):
        response = sign_in("huyen").post(reverse("appeal_file", args=[C]), {
            "loai": "day", "to": "TO-VTH-1", "ngay": "02/03/2021", "so_mong_muon": "61", "ly_do": ""})
    assert response.status_code == 400 and 'value="02/03/2021"' in response.content.decode()


def test_the_history_still_reproduces_the_data_after_a_correction(published, person):
    from thidua.audit.chain import chain_verify
    from thidua.intake.integrity import data_verify

    decide(file(published, person("CAH-NBA"), **NBA_DAY, files=[SimpleUploadedFile("a.pdf", PDF)]))
    assert data_verify() is None
    assert chain_verify().ok


def test_the_list_reads_a_bounded_number_of_queries(published, person, sign_in):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = sign_in("pc06")

    def queries():
        with CaptureQueriesContext(connection) as captured:
            assert client.get(reverse("appeal_list", args=[C])).status_code == 200
        return len(captured)

    file(published, person("to"), **VTH_DAY)
    few = queries()
    for n in range(4):
        file(published, person("CAH-NBA"), kind="rule", rule=f"Điểm {n}")
    assert queries() == few


def test_the_home_page_sends_pc06_and_the_units_to_the_appeals(published, person, sign_in):
    file(published, person("to"), **VTH_DAY)
    with clock.at(WITHIN):
        for who in ("pc06", "huyen"):
            body = sign_in(who).get(reverse("home")).content.decode()
            assert f'href="{reverse("appeal_list", args=[C])}"' in body, who


def test_the_acts_of_an_appeal_read_in_words(published, person, sign_in):
    from test_history_texts import act_page, assert_readable

    appeal = file(published, person("CAH-NBA"), **NBA_DAY, files=[SimpleUploadedFile("so.pdf", PDF)])
    decide(appeal)
    client = sign_in("pc06")
    filed = act_page(client, changes__entity="bang_chung")
    for text in ("Khiếu nại số 1", "Khiếu nại về: Số liệu một ngày của tổ", "Số hồ sơ đang ghi nhận: 75",
                 "Số hồ sơ đúng theo đơn vị: 1.500", "Trạng thái: Đang chờ giải quyết", "Ngày: 02/03/2021",
                 "Khiếu nại số 1 · tệp", "Tệp: so.pdf"):
        assert text in filed, text
    assert_readable(filed)
    decided = act_page(client, changes__entity="khieu_nai", changes__before__isnull=False)
    for text in ("Trạng thái: Đang chờ giải quyết → Chấp nhận", "Bản chốt kết quả sau: — → 2", "Bản 2",
                 "Theo khiếu nại số: 1"):
        assert text in decided, text
    assert_readable(decided)
