"""Nominations (đề nghị khen thưởng, docs/documents.md): quotas from the prizes and the provincial group on every
path (page, API, CSV), the standards checked from the data and shown, the flow propose → review → approve with its
returns, the council's ruling awaited, the lifecycle's checks and step backs, who may do what, hostile input.

Prize winners come from a snapshot recording them (tests/nominations_support.py): CAH-VTH at tier 2 (2 places),
CAH-NBA at tier 3 (1 place); PC06 has 2 collectives and 5 individuals.
"""

import json
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from lifecycle import advance_to, moment, step_fields
from nominations_support import add_officers, crown, png_bytes

from thidua.accounts.models import Role
from thidua.accounts.services import user_create
from thidua.api.services import token_create
from thidua.audit.models import Change
from thidua.awards import nominations as service
from thidua.awards.models import Evidence, Nomination, NominationStatus
from thidua.awards.services import StepError, campaign_advance, rule_tie
from thidua.campaigns import clock
from thidua.campaigns.models import Status
from thidua.units.models import Officer, Unit

pytestmark = pytest.mark.django_db
C = "hau-giang-2021"
VTH = "district:individual:CAH-VTH"
NBA = "district:individual:CAH-NBA"
PROVINCE_ONE = "province:individual:PC06"
PROVINCE_UNIT = "province:collective:PC06"
TEXT = "Trực tiếp thu nhận hồ sơ ban đêm, được nhân dân khen."


@pytest.fixture
def scored(campaign):
    add_officers(campaign)
    campaign = advance_to(campaign, Status.SCORED)
    crown(campaign, {"CAH-VTH": 2, "CAH-NBA": 3})
    return campaign


def actor(campaign, role, unit=None) -> service.Actor:
    unit_id = Unit.objects.get(campaign=campaign, code=unit).id if unit else None
    return service.Actor(f"u-{role}-{unit}", role, unit_id)


def propose(campaign, who: service.Actor, officer=None, *, unit="CAH-VTH", collective=None, text=TEXT, files=()):
    top = service.provincial_unit(campaign)
    nominating = Unit.objects.get(campaign=campaign, code=unit)
    level = "province" if nominating.id == top.id else "district"
    return service.nomination_propose(
        campaign=campaign, actor=who, level=level, kind="collective" if collective else "individual",
        nominating_unit=nominating, officer=Officer.objects.get(campaign=campaign, code=officer) if officer else None,
        collective=Unit.objects.get(campaign=campaign, code=collective) if collective else None, achievements=text,
        files=files)


def district(campaign, unit="CAH-VTH"):
    return actor(campaign, Role.DISTRICT, unit)


def active(campaign, unit=None):
    found = Nomination.objects.filter(campaign=campaign, status__in=("proposed", "accepted", "approved"))
    return found.filter(nominating_unit__code=unit) if unit else found


def page_post(client, quota, officer=None, *, collective=None, text=TEXT, files=None):
    data = {"suat": quota, "thanh_tich": text}
    if officer:
        data["ma_can_bo"] = officer
    if collective:
        data["ma_don_vi"] = collective
    if files:
        data["tep"] = files
    return client.post(reverse("nomination_create", args=[C]), data)


def csv_file(rows, header="ma_don_vi_de_nghi,ma_can_bo,ma_don_vi,thanh_tich", name="de-nghi.csv", raw=None):
    body = raw if raw is not None else ("\r\n".join([header, *rows]) + "\r\n").encode("utf-8")
    return SimpleUploadedFile(name, body, "text/csv")


@pytest.fixture
def api(campaign, client):
    """Return a function giving a caller of the API as a user of (role, unit)."""
    users = {}

    def as_user(role, unit):
        if (role, unit) not in users:
            user = user_create(username=f"api-{role}-{unit}", password="Mat-khau-2021", role=role, actor="kiem-thu",
                               unit=Unit.objects.get(campaign=campaign, code=unit) if unit else None)
            users[role, unit] = token_create(user=user, name="kiểm thử", actor="kiem-thu")[1]
        secret = users[role, unit]

        def call(method, path, body=None):
            headers = {"Authorization": f"Bearer {secret}"}
            if method == "get":
                response = client.get(f"/api/v1/campaigns/{C}{path}", headers=headers)
            else:
                response = client.post(f"/api/v1/campaigns/{C}{path}", json.dumps(body or {}),
                                       content_type="application/json", headers=headers)
            return response.status_code, response.json()
        return call
    return as_user


# --- quotas and standards ------------------------------------------------------------------------------------

def test_quotas_follow_the_prizes_and_the_provincial_group(scored):
    found = {q.key: (q.size, q.tier) for q in service.quotas(scored)}
    assert found == {VTH: (2, 2), NBA: (1, 3), PROVINCE_UNIT: (2, None), PROVINCE_ONE: (5, None)}


def test_no_quota_before_the_results_are_scored(campaign):
    assert service.quotas(campaign) == []


def test_the_standards_show_the_days_in_the_unit_and_issuing_cards(scored):
    by_code = {s.officer.code: s for s in service.standards(scored, {Unit.objects.get(code="CAH-VTH").id,
                                                                      Unit.objects.get(code="TO-VTH-1").id})}
    assert by_code["CB-007"].periods == ((scored.start.replace(month=4, day=1), scored.deadline),)
    assert by_code["CB-007"].days == 92 and by_code["CB-007"].ok
    assert by_code["CB-006"].periods == () and not by_code["CB-006"].ok
    assert "CB-002" not in by_code
    nba = {s.officer.code: s for s in service.standards(scored, {Unit.objects.get(code="TO-NBA-1").id})}
    assert nba["CB-009"].days == 2 and nba["CB-009"].ok  # one day of the campaign is enough: 30/06 and 01/07
    assert nba["CB-008"].issues_cards is None and not nba["CB-008"].ok


@pytest.mark.parametrize("officer, unit, message", [
    ("CB-006", "CAH-VTH", "không thuộc «Công an thành phố Vị Thanh»"),
    ("CB-002", "CAH-VTH", "không thuộc"),
    ("CB-008", "CAH-NBA", "không trực tiếp làm nhiệm vụ cấp CCCD"),
])
def test_an_officer_failing_a_standard_is_refused_with_the_reason(scored, officer, unit, message):
    with pytest.raises(service.NominationError, match=message):
        propose(scored, district(scored, unit), officer, unit=unit)
    assert not active(scored).exists()


def test_pc06_cannot_nominate_an_officer_who_does_not_issue_cards(scored):
    with pytest.raises(service.NominationError, match="không trực tiếp"):
        propose(scored, actor(scored, Role.PC06, "PC06"), "CB-003", unit="PC06")


def test_achievements_are_required_and_bounded(scored):
    with pytest.raises(service.NominationError, match="Cần ghi thành tích"):
        propose(scored, district(scored), "CB-001", text="   ")
    with pytest.raises(service.NominationError, match=r"quá mức 4\.000 ký tự"):
        propose(scored, district(scored), "CB-001", text="x" * 4001)


# --- quotas on every path ------------------------------------------------------------------------------------

def test_the_page_cannot_exceed_the_quota(scored, login):
    client = login(Role.DISTRICT, "CAH-NBA")
    assert page_post(client, NBA, "CB-002").status_code == 302
    refused = page_post(client, NBA, "CB-009")
    assert refused.status_code == 400
    assert "Đã dùng hết 1 suất đề nghị cá nhân cấp huyện" in refused.content.decode()
    assert list(active(scored).values_list("officer__code", "place")) == [("CB-002", 1)]


def test_the_api_cannot_exceed_the_quota(scored, api):
    call = api(Role.DISTRICT, "CAH-VTH")
    for officer in ("CB-001", "CB-004"):
        status, body = call("post", "/nominations", {"ma_don_vi_de_nghi": "CAH-VTH", "ma_can_bo": officer,
                                                     "thanh_tich": TEXT})
        assert status == 200, body
    status, body = call("post", "/nominations", {"ma_don_vi_de_nghi": "CAH-VTH", "ma_can_bo": "CB-005",
                                                 "thanh_tich": TEXT})
    assert status == 400 and "Đã dùng hết 2 suất" in body["loi"]["thong_diep"]
    assert sorted(active(scored).values_list("place", flat=True)) == [1, 2]


def test_a_file_that_alone_exceeds_the_quota_is_refused_whole_naming_the_row(scored, login):
    client = login(Role.DISTRICT, "CAH-VTH")
    rows = [f"CAH-VTH,{code},,{TEXT}" for code in ("CB-001", "CB-004", "CB-005")]
    response = client.post(reverse("nominations_upload", args=[C]), {"tep_csv": csv_file(rows)})
    assert response.status_code == 400
    page = response.content.decode()
    assert "Dòng 4:" in page and "Đã dùng hết 2 suất" in page
    assert "Dòng 2:" not in page and not active(scored).exists()


def test_a_file_after_the_page_names_the_row_beyond_the_quota(scored, login):
    client = login(Role.DISTRICT, "CAH-VTH")
    assert page_post(client, VTH, "CB-001").status_code == 302
    rows = [f"CAH-VTH,CB-004,,{TEXT}", f"CAH-VTH,CB-005,,{TEXT}"]
    response = client.post(reverse("nominations_upload", args=[C]), {"tep_csv": csv_file(rows)})
    assert response.status_code == 400 and "Dòng 3:" in response.content.decode()
    assert list(active(scored).values_list("officer__code", flat=True)) == ["CB-001"]


def test_a_good_file_proposes_every_row_in_one_act(scored, login):
    client = login(Role.PC06, "PC06")
    rows = [f"PC06,CB-001,,{TEXT}", f"PC06,,CAH-NBA,{TEXT}", "PC06,,TO-VTH-1,\"Hoàn thành sớm, tận tụy\""]
    response = client.post(reverse("nominations_upload", args=[C]), {"tep_csv": csv_file(rows)})
    assert response.status_code == 302
    assert active(scored, "PC06").count() == 3
    changes = Change.objects.filter(entity="de_nghi", before__isnull=True)
    assert changes.count() == 3 and len({c.changeset_id for c in changes}) == 1
    assert changes.first().changeset.file_name == "de-nghi.csv"


@pytest.mark.parametrize("raw, message", [
    (b"ma_don_vi_de_nghi,ma_can_bo,thanh_tich\r\nCAH-VTH,CB-001,\x00x\r\n", "NUL"),
    (b"\xff\xfe\x00garbage", "NUL"),
    (b"ma_don_vi_de_nghi;thanh_tich\r\nCAH-VTH;x\r\n", "Dòng tiêu đề cần các cột"),
    (b"ma_don_vi_de_nghi,ma_can_bo,thanh_tich\r\n", "không có dòng"),
    ("ma_don_vi_de_nghi,ma_can_bo,thanh_tich\r\nCAH-VTH,CB-001,Tốt\r\n".encode("utf-16"), "UTF-8"),
])
def test_an_unreadable_file_is_refused_with_a_message(scored, login, raw, message):
    response = login(Role.DISTRICT, "CAH-VTH").post(reverse("nominations_upload", args=[C]),
                                                    {"tep_csv": csv_file([], raw=raw)})
    assert response.status_code == 400 and message in response.content.decode()
    assert not Nomination.objects.exists()


def test_bad_rows_are_each_named(scored, login):
    rows = ["KHONG-CO,CB-001,,x", "CAH-VTH,CB-999,,x", "CAH-VTH,CB-001,TO-VTH-1,x", "CAH-VTH,CB-004,,",
            "CAH-NBA,CB-002,,x"]
    response = login(Role.DISTRICT, "CAH-VTH").post(reverse("nominations_upload", args=[C]),
                                                    {"tep_csv": csv_file(rows)})
    page = response.content.decode()
    assert response.status_code == 400
    for line in range(2, 7):
        assert f"Dòng {line}:" in page, line
    assert "Công an huyện chỉ đề nghị khen thưởng cho đơn vị của mình" in page
    assert not Nomination.objects.exists()


# --- the flow ------------------------------------------------------------------------------------------------

def test_propose_accept_approve_keep_the_place_and_each_step_is_an_act(scored):
    n = propose(scored, district(scored), "CB-001")
    service.nomination_review(nomination=n, actor=actor(scored, Role.PC06, "PC06"), accept=True)
    n = service.nomination_approve(nomination=n, actor=actor(scored, Role.COUNCIL), approve=True)
    assert (n.status, n.place, n.tier) == (NominationStatus.APPROVED, 1, 2)
    steps = [(c.before and c.before["status"], c.after["status"], c.changeset.actor)
             for c in Change.objects.filter(entity="de_nghi", key=str(n.pk)).order_by("id")]
    assert steps == [(None, "proposed", "u-cong_an_huyen-CAH-VTH"), ("proposed", "accepted", "u-pc06-PC06"),
                     ("accepted", "approved", "u-hoi_dong-None")]


def test_a_returned_nomination_frees_its_place_and_the_unit_proposes_again(scored):
    n = propose(scored, district(scored, "CAH-NBA"), "CB-002", unit="CAH-NBA")
    with pytest.raises(service.NominationError, match="Cần ghi lý do"):
        service.nomination_review(nomination=n, actor=actor(scored, Role.PC06, "PC06"), accept=False, reason=" ")
    n = service.nomination_review(nomination=n, actor=actor(scored, Role.PC06, "PC06"), accept=False,
                                  reason="Thiếu minh chứng")
    assert (n.status, n.place, n.review_reason) == (NominationStatus.RETURNED, None, "Thiếu minh chứng")
    again = propose(scored, district(scored, "CAH-NBA"), "CB-002", unit="CAH-NBA")
    assert again.place == 1 and again.pk != n.pk


def test_the_council_returns_with_a_reason(scored):
    n = propose(scored, district(scored), "CB-001")
    service.nomination_review(nomination=n, actor=actor(scored, Role.PC06, "PC06"), accept=True)
    with pytest.raises(service.NominationError, match="Chỉ Hội đồng"):
        service.nomination_approve(nomination=n, actor=actor(scored, Role.PC06, "PC06"), approve=True)
    n = service.nomination_approve(nomination=n, actor=actor(scored, Role.COUNCIL), approve=False,
                                   reason="Chưa đủ tiêu chuẩn")
    assert (n.status, n.place) == (NominationStatus.RETURNED, None)


def test_the_proposer_withdraws_before_approval_only(scored):
    n = propose(scored, district(scored), "CB-001")
    with pytest.raises(service.NominationError) as refused:
        service.nomination_withdraw(nomination=n, actor=district(scored, "CAH-NBA"), reason="Rút")
    assert refused.value.forbidden
    n = service.nomination_withdraw(nomination=n, actor=district(scored), reason="Nhầm người")
    assert (n.status, n.place) == (NominationStatus.WITHDRAWN, None)
    m = propose(scored, district(scored), "CB-001")
    service.nomination_review(nomination=m, actor=actor(scored, Role.PC06, "PC06"), accept=True)
    service.nomination_approve(nomination=m, actor=actor(scored, Role.COUNCIL), approve=True)
    with pytest.raises(service.NominationError, match="đã được xử lý"):
        service.nomination_withdraw(nomination=m, actor=district(scored), reason="Rút")


def test_a_step_taken_twice_is_refused_the_second_time(scored):
    n = propose(scored, district(scored), "CB-001")
    pc06 = actor(scored, Role.PC06, "PC06")
    service.nomination_review(nomination=n, actor=pc06, accept=True)
    with pytest.raises(service.NominationError, match="đang «PC06 đã thẩm định»"):
        service.nomination_review(nomination=n, actor=pc06, accept=False, reason="Muộn")


def test_an_officer_is_nominated_once_per_campaign(scored):
    propose(scored, district(scored), "CB-007")
    with pytest.raises(service.NominationError, match=r"Huỳnh Thị Hoa \(CB-007\) đã được đề nghị"):
        propose(scored, district(scored, "CAH-NBA"), "CB-007", unit="CAH-NBA")
    with pytest.raises(service.NominationError, match="đã được đề nghị"):
        propose(scored, actor(scored, Role.PC06, "PC06"), "CB-007", unit="PC06")


def test_a_collective_is_nominated_once(scored):
    pc06 = actor(scored, Role.PC06, "PC06")
    propose(scored, pc06, unit="PC06", collective="CAH-NBA")
    with pytest.raises(service.NominationError, match="đã được đề nghị khen thưởng tập thể"):
        propose(scored, pc06, unit="PC06", collective="CAH-NBA")


def test_a_district_has_no_collective_quota(scored):
    with pytest.raises(service.NominationError, match="không có suất đề nghị khen thưởng tập thể cấp huyện"):
        service.nomination_propose(campaign=scored, actor=district(scored), level="district", kind="collective",
                                   nominating_unit=Unit.objects.get(code="CAH-VTH"),
                                   collective=Unit.objects.get(code="TO-VTH-1"), achievements=TEXT)


# --- who may nominate, and when ------------------------------------------------------------------------------

@pytest.mark.parametrize("role, unit, quota_unit, message", [
    (Role.DISTRICT, "CAH-NBA", "CAH-VTH", "chỉ đề nghị khen thưởng cho đơn vị của mình"),
    (Role.TEAM, "TO-VTH-1", "CAH-VTH", "Tổ không đề nghị"),
    (Role.PC06, "PC06", "CAH-VTH", "không đề nghị khen thưởng cho đơn vị này"),
    (Role.COUNCIL, None, "CAH-VTH", "không đề nghị khen thưởng cho đơn vị này"),
    (Role.VIEWER, "PC06", "PC06", "không đề nghị khen thưởng cho đơn vị này"),
    (Role.ADMIN, "PC06", "PC06", "không đề nghị khen thưởng cho đơn vị này"),
    (Role.DISTRICT, "CAH-VTH", "PC06", "không đề nghị khen thưởng cho đơn vị này"),
])
def test_only_the_unit_itself_or_pc06_nominates(scored, role, unit, quota_unit, message):
    with pytest.raises(service.NominationError, match=message) as refused:
        propose(scored, actor(scored, role, unit), "CB-001", unit=quota_unit)
    assert refused.value.forbidden


def test_nominations_wait_for_the_scored_results_and_stop_once_proposed(campaign):
    add_officers(campaign)
    campaign = advance_to(campaign, Status.CLOSED)
    with pytest.raises(service.NominationError, match=re.escape(f"đợt thi đua đang «{Status.CLOSED.label}»")):
        propose(campaign, actor(campaign, Role.PC06, "PC06"), "CB-001", unit="PC06")
    campaign = advance_to(campaign, Status.PROPOSED)
    with pytest.raises(service.NominationError, match="khi kết quả đã chấm hoặc đã công bố"):
        propose(campaign, actor(campaign, Role.PC06, "PC06"), "CB-001", unit="PC06")


def test_a_competitor_waiting_for_the_councils_ruling_nominates_once_ruled(scored, login):
    snapshot = crown(scored, {"CAH-VTH": 1, "CAH-NBA": 1}, tied=("CAH-VTH", "CAH-NBA"))
    waiting = {q.key: q.waiting for q in service.quotas(scored) if q.level == "district"}
    assert waiting == {VTH: True, NBA: True}
    with pytest.raises(service.NominationError, match="chờ Hội đồng TĐKT phân xử"):
        propose(scored, district(scored), "CB-001")
    page = login(Role.DISTRICT, "CAH-VTH").get(reverse("nominations", args=[C])).content.decode()
    assert "chờ Hội đồng TĐKT phân xử: chưa đề nghị được" in page
    assert reverse("import_upload", args=[C]) in page  # the campaign's tabs as on every page
    rule_tie(campaign=scored, group="cap_huyen", prize_rank=1, order=["CAH-NBA", "CAH-VTH"], actor="hoidong",
             role=Role.COUNCIL, reason="Hội đồng họp ngày 05/7")
    assert snapshot.rulings.count() == 1
    assert {q.key: q.size for q in service.quotas(scored) if q.level == "district"} == {NBA: 3, VTH: 2}
    assert propose(scored, district(scored), "CB-001").tier == 2


# --- the lifecycle -------------------------------------------------------------------------------------------

def test_proposing_needs_every_nomination_approved_or_returned(scored):
    n = propose(scored, district(scored), "CB-001")
    campaign = advance_to(scored, Status.PUBLISHED)
    with clock.at(moment(campaign, Status.PROPOSED)), pytest.raises(StepError) as refused:
        campaign_advance(campaign=campaign, to=Status.PROPOSED, actor="pc06", reason="Trình",
                         fields=step_fields(campaign, Status.PROPOSED))
    assert any(f"Đề nghị số {n.pk} (Nguyễn Văn An" in p for p in refused.value.problems)
    service.nomination_review(nomination=n, actor=actor(scored, Role.PC06, "PC06"), accept=True)
    service.nomination_approve(nomination=n, actor=actor(scored, Role.COUNCIL), approve=True)
    assert advance_to(campaign, Status.PROPOSED).status == Status.PROPOSED


def test_a_step_back_returns_the_nominations_whose_tier_changed(scored):
    vth = propose(scored, district(scored), "CB-001")
    province = propose(scored, actor(scored, Role.PC06, "PC06"), "CB-002", unit="PC06")
    with clock.at(moment(scored, Status.SCORED)):
        campaign = campaign_advance(campaign=scored, to=Status.CLOSED, actor="pc06", reason="Sửa số liệu")
    vth.refresh_from_db()
    assert vth.status == NominationStatus.PROPOSED  # the frozen results have not changed yet
    campaign = advance_to(campaign, Status.SCORED)  # scored afresh from the data: no district wins a prize
    vth.refresh_from_db()
    province.refresh_from_db()
    assert (vth.status, vth.place) == (NominationStatus.RETURNED, None)
    assert "khi đề nghị: Hạng Nhì; nay: không đạt giải" in vth.review_reason
    assert province.status == NominationStatus.PROPOSED
    assert Change.objects.filter(entity="de_nghi", key=str(vth.pk), after__status="returned").exists()


def test_withdrawing_the_proposal_returns_the_nominations_of_a_unit_whose_tier_changed(scored):
    vth = propose(scored, district(scored), "CB-001")
    nba = propose(scored, district(scored, "CAH-NBA"), "CB-002", unit="CAH-NBA")
    for n in (vth, nba):
        service.nomination_review(nomination=n, actor=actor(scored, Role.PC06, "PC06"), accept=True)
        service.nomination_approve(nomination=n, actor=actor(scored, Role.COUNCIL), approve=True)
    campaign = advance_to(scored, Status.PROPOSED)
    crown(campaign, {"CAH-VTH": 2, "CAH-NBA": 1})  # NBA's tier changed (an accepted appeal's correction)
    with clock.at(moment(campaign, Status.PROPOSED)):
        campaign_advance(campaign=campaign, to=Status.PUBLISHED, actor="pc06", reason="Rút tờ trình")
    vth.refresh_from_db()
    nba.refresh_from_db()
    assert vth.status == NominationStatus.APPROVED and nba.status == NominationStatus.RETURNED


# --- pages ---------------------------------------------------------------------------------------------------

def test_the_district_page_shows_its_quota_officers_and_standards(scored, login):
    page = login(Role.DISTRICT, "CAH-VTH").get(reverse("nominations", args=[C])).content.decode()
    assert "Công an thành phố Vị Thanh" in page
    assert "Hạng Nhì" in page
    assert 'value="CB-007"' in page and "01/04/2021 – 01/07/2021" in page
    assert 'value="CB-006" id="cb-1-CB-006" disabled' in page  # shown, not offered
    assert "Công an thành phố Ngã Bảy" not in page and 'value="CB-002"' not in page


def test_pc06_reviews_and_the_council_approves_on_the_pages(scored, login, client):
    n = propose(scored, district(scored), "CB-001")
    pc06 = login(Role.PC06, "PC06")
    listing = pc06.get(reverse("nominations", args=[C])).content.decode()
    assert reverse("nomination_act", args=[C, n.pk, "tham-dinh"]) in listing
    assert 'value="province:individual:PC06"' in listing and 'value="province:collective:PC06"' in listing
    assert pc06.post(reverse("nomination_act", args=[C, n.pk, "tham-dinh"])).status_code == 302
    council = login(Role.COUNCIL, None)
    refused = council.post(reverse("nomination_act", args=[C, n.pk, "hoi-dong-tra-lai"]), {"ly_do": ""})
    assert refused.status_code == 400 and "Cần ghi lý do trả lại" in refused.content.decode()
    assert council.post(reverse("nomination_act", args=[C, n.pk, "duyet"])).status_code == 302
    detail = council.get(reverse("nomination_detail", args=[C, n.pk])).content.decode()
    assert "Hội đồng đã duyệt" in detail and "PC06 đã thẩm định" in detail and "u-hoi_dong-None" in detail


def test_evidence_files_are_checked_kept_and_served_only_in_scope(scored, login, settings, tmp_path):
    settings.DATA_DIR = tmp_path
    client = login(Role.DISTRICT, "CAH-VTH")
    fake = SimpleUploadedFile("bang-khen.pdf", b"<script>alert(1)</script>", "application/pdf")
    refused = page_post(client, VTH, "CB-001", files=[fake])
    assert refused.status_code == 400 and "không phải PDF, PNG hay JPEG" in refused.content.decode()
    assert 'value="CB-001" id="cb-1-CB-001" checked' in refused.content.decode()  # the choice is kept
    assert not Nomination.objects.exists()
    photo = SimpleUploadedFile("../../anh.png", png_bytes(), "image/png")
    assert page_post(client, VTH, "CB-001", files=[photo]).status_code == 302
    n = Nomination.objects.get()
    evidence = Evidence.objects.get(nomination=n)
    assert evidence.name == "anh.png" and evidence.content_type == "image/png"
    url = reverse("nomination_evidence", args=[C, n.pk, evidence.pk])
    assert url in client.get(reverse("nomination_detail", args=[C, n.pk])).content.decode()
    got = client.get(url)
    assert got.status_code == 200 and b"".join(got.streaming_content) == png_bytes()
    assert login(Role.DISTRICT, "CAH-NBA").get(url).status_code == 404
    assert login(Role.TEAM, "TO-VTH-1").get(url).status_code == 403
    assert login(Role.COUNCIL, None).get(url).status_code == 200
    assert not str(tmp_path).startswith(str(settings.STATIC_ROOT or "/nonexistent"))


# --- who may do what: every role × own unit / another unit ----------------------------------------------------

PERSONAS = {"quan_tri": (Role.ADMIN, "PC06"), "pc06": (Role.PC06, "PC06"), "hoi_dong": (Role.COUNCIL, None),
            "huyen": (Role.DISTRICT, "CAH-VTH"), "to": (Role.TEAM, "TO-VTH-1"), "xem": (Role.VIEWER, "PC06"),
            "xem_huyen": (Role.VIEWER, "CAH-VTH")}
ORDER = list(PERSONAS)
# "own": CAH-VTH's nomination / quota; "other": CAH-NBA's. Statuses in the order of PERSONAS.
PAGE_MATRIX = {
    ("list", "own"): [200, 200, 200, 200, 403, 200, 200],
    ("detail", "own"): [200, 200, 200, 200, 403, 200, 200],
    ("detail", "other"): [200, 200, 200, 404, 403, 200, 404],
    ("create", "own"): [403, 403, 403, 302, 403, 403, 403],
    ("create", "other"): [403, 403, 403, 403, 403, 403, 403],
    ("accept", "own"): [403, 302, 403, 403, 403, 403, 403],
    ("accept", "other"): [403, 302, 403, 404, 403, 403, 404],
    ("withdraw", "own"): [403, 403, 403, 302, 403, 403, 403],
    ("withdraw", "other"): [403, 403, 403, 404, 403, 403, 404],
    ("return", "own"): [403, 302, 403, 403, 403, 403, 403],
    ("return", "other"): [403, 302, 403, 404, 403, 403, 404],
    # a file's rows go through the same rule; a row refused is named and nothing is proposed (400)
    ("upload", "own"): [400, 400, 400, 302, 403, 400, 400],
    ("upload", "other"): [400, 400, 400, 400, 403, 400, 400],
}
API_MATRIX = {
    ("list", "own"): [200, 200, 200, 200, 403, 200, 200],
    ("create", "own"): [403, 403, 403, 200, 403, 403, 403],
    ("create", "other"): [403, 403, 403, 404, 403, 403, 404],
    ("accept", "own"): [403, 200, 403, 403, 403, 403, 403],
    ("accept", "other"): [403, 200, 403, 404, 403, 403, 404],
    ("approve", "own"): [403, 403, 200, 403, 403, 403, 403],
    ("withdraw", "own"): [403, 403, 403, 200, 403, 403, 403],
    ("withdraw", "other"): [403, 403, 403, 404, 403, 403, 404],
}
CASES = sorted(PAGE_MATRIX)


def _setup_matrix(campaign):
    own = propose(campaign, district(campaign), "CB-001")
    other = propose(campaign, district(campaign, "CAH-NBA"), "CB-002", unit="CAH-NBA")
    return {"own": own, "other": other}


@pytest.mark.parametrize("page, where", CASES, ids=[f"{p}-{w}" for p, w in CASES])
@pytest.mark.parametrize("who", ORDER)
def test_page_matrix(scored, login, page, where, who):
    made = _setup_matrix(scored)
    n = made[where]
    client = login(*PERSONAS[who])
    quota, officer = (VTH, "CB-004") if where == "own" else (NBA, "CB-009")
    response = {
        "list": lambda: client.get(reverse("nominations", args=[C])),
        "detail": lambda: client.get(reverse("nomination_detail", args=[C, n.pk])),
        "create": lambda: page_post(client, quota, officer),
        "accept": lambda: client.post(reverse("nomination_act", args=[C, n.pk, "tham-dinh"])),
        "withdraw": lambda: client.post(reverse("nomination_act", args=[C, n.pk, "rut"]), {"ly_do": "Nhầm"}),
        "return": lambda: client.post(reverse("nomination_act", args=[C, n.pk, "tra-lai"]), {"ly_do": "Thiếu"}),
        "upload": lambda: client.post(reverse("nominations_upload", args=[C]), {"tep_csv": csv_file(
            [f"{quota.split(':')[2]},{officer},,{TEXT}"])}),
    }[page]()
    assert response.status_code == PAGE_MATRIX[page, where][ORDER.index(who)], response.content.decode()[-400:]


@pytest.mark.parametrize("call, where", sorted(API_MATRIX), ids=[f"{p}-{w}" for p, w in sorted(API_MATRIX)])
@pytest.mark.parametrize("who", ORDER)
def test_api_matrix(scored, api, call, where, who):
    made = _setup_matrix(scored)
    n = made[where]
    if call == "approve":
        service.nomination_review(nomination=n, actor=actor(scored, Role.PC06, "PC06"), accept=True)
    caller = api(*PERSONAS[who])
    unit, officer = ("CAH-VTH", "CB-004") if where == "own" else ("CAH-NBA", "CB-009")
    status, body = {
        "list": lambda: caller("get", "/nominations"),
        "create": lambda: caller("post", "/nominations", {"ma_don_vi_de_nghi": unit, "ma_can_bo": officer,
                                                          "thanh_tich": TEXT}),
        "accept": lambda: caller("post", f"/nominations/{n.pk}/accept"),
        "approve": lambda: caller("post", f"/nominations/{n.pk}/approve"),
        "withdraw": lambda: caller("post", f"/nominations/{n.pk}/withdraw", {"ly_do": "Nhầm"}),
    }[call]()
    assert status == API_MATRIX[call, where][ORDER.index(who)], body


def test_a_district_lists_only_its_own_nominations(scored, api):
    _setup_matrix(scored)
    status, rows = api(Role.DISTRICT, "CAH-VTH")("get", "/nominations")
    assert status == 200 and [r["ma_don_vi_de_nghi"] for r in rows] == ["CAH-VTH"]
    status, rows = api(Role.PC06, "PC06")("get", "/nominations")
    assert sorted(r["ma_don_vi_de_nghi"] for r in rows) == ["CAH-NBA", "CAH-VTH"]


def test_nobody_signed_out_gets_in(scored, client):
    for url in (reverse("nominations", args=[C]), reverse("nomination_detail", args=[C, 1])):
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith(reverse("login"))
    assert client.get(f"/api/v1/campaigns/{C}/nominations").status_code == 401


# --- hostile input -------------------------------------------------------------------------------------------

@pytest.mark.parametrize("data", [
    {"suat": VTH, "ma_can_bo": "CB-001", "thanh_tich": "Tốt\x00"},
    {"suat": VTH + "\x00", "ma_can_bo": "CB-001", "thanh_tich": TEXT},
    {"suat": VTH, "ma_can_bo": "CB-001\x00", "thanh_tich": TEXT},
    {"suat": VTH, "ma_can_bo": "../../etc/passwd", "thanh_tich": TEXT},
    {"suat": VTH, "ma_can_bo": "CB-001", "thanh_tich": "x" * 100_000},
    {"suat": "x" * 5000, "ma_can_bo": "CB-001", "thanh_tich": TEXT},
    {"suat": "district:individual", "thanh_tich": TEXT},
    {"suat": "province:collective:CAH-VTH", "ma_don_vi": "TO-VTH-1", "thanh_tich": TEXT},
    {},
])
def test_hostile_page_input_gets_a_message_never_a_server_error(scored, login, data):
    response = login(Role.DISTRICT, "CAH-VTH").post(reverse("nomination_create", args=[C]), data)
    assert 400 <= response.status_code < 500
    assert not Nomination.objects.exists()


def test_a_script_in_the_achievements_is_shown_as_text(scored, login):
    client = login(Role.DISTRICT, "CAH-VTH")
    assert page_post(client, VTH, "CB-001", text="<script>alert('x')</script>").status_code == 302
    n = Nomination.objects.get()
    page = client.get(reverse("nomination_detail", args=[C, n.pk])).content.decode()
    assert "<script>alert" not in page and "&lt;script&gt;alert" in page


@pytest.mark.parametrize("body", [
    {"ma_don_vi_de_nghi": "CAH-VTH", "ma_can_bo": "CB-001", "thanh_tich": "a\x00b"},
    {"ma_don_vi_de_nghi": "CAH-VTH\x00", "ma_can_bo": "CB-001", "thanh_tich": TEXT},
    {"ma_don_vi_de_nghi": "CAH-VTH", "ma_can_bo": "CB-001", "thanh_tich": "x" * 5000},
    {"ma_don_vi_de_nghi": "CAH-VTH", "ma_can_bo": "CB-001", "ma_don_vi": "TO-VTH-1", "thanh_tich": TEXT},
    {"ma_don_vi_de_nghi": "CAH-VTH", "thanh_tich": TEXT},
    {"ma_don_vi_de_nghi": "CAH-VTH", "ma_can_bo": "../x", "thanh_tich": TEXT},
    {"ma_don_vi_de_nghi": ["CAH-VTH"], "ma_can_bo": "CB-001", "thanh_tich": TEXT},
])
def test_hostile_api_input_gets_a_message_never_a_server_error(scored, api, body):
    status, answer = api(Role.DISTRICT, "CAH-VTH")("post", "/nominations", body)
    assert 400 <= status < 500 and answer["loi"]["thong_diep"]
    assert not Nomination.objects.exists()


def test_a_reason_with_nul_or_too_long_is_refused(scored, login):
    n = propose(scored, district(scored), "CB-001")
    client = login(Role.PC06, "PC06")
    for reason in ("Sai\x00", "x" * 1001):
        response = client.post(reverse("nomination_act", args=[C, n.pk, "tra-lai"]), {"ly_do": reason})
        assert 400 <= response.status_code < 500
    n.refresh_from_db()
    assert n.status == NominationStatus.PROPOSED
    assert client.post(reverse("nomination_act", args=[C, n.pk, "khong-co"])).status_code == 404


def test_the_list_page_takes_a_bounded_number_of_queries(scored, login, django_assert_max_num_queries):
    client = login(Role.PC06, "PC06")
    client.get(reverse("nominations", args=[C]))
    for code in ("CB-001", "CB-002", "CB-004", "CB-005"):
        propose(scored, actor(scored, Role.PC06, "PC06"), code, unit="PC06")
    with django_assert_max_num_queries(30):
        assert client.get(reverse("nominations", args=[C])).status_code == 200


def test_the_nominating_side_adds_evidence_before_the_councils_approval(scored, login, settings, tmp_path):
    settings.DATA_DIR = tmp_path
    n = propose(scored, district(scored), "CB-001")
    url = reverse("nomination_act", args=[C, n.pk, "them-tep"])
    photo = SimpleUploadedFile("thu-khen.png", png_bytes(), "image/png")
    assert login(Role.DISTRICT, "CAH-NBA").post(url, {"tep": [photo]}).status_code == 404
    assert login(Role.PC06, "PC06").post(url, {"tep": [photo]}).status_code == 403
    client = login(Role.DISTRICT, "CAH-VTH")
    assert client.post(url, {}).status_code == 400
    photo.seek(0)
    assert client.post(url, {"tep": [photo]}).status_code == 302
    page = client.get(reverse("nomination_detail", args=[C, n.pk])).content.decode()
    assert "thu-khen.png" in page and "Tệp minh chứng «thu-khen.png»" in page
    service.nomination_review(nomination=n, actor=actor(scored, Role.PC06, "PC06"), accept=True)
    service.nomination_approve(nomination=n, actor=actor(scored, Role.COUNCIL), approve=True)
    photo.seek(0)
    refused = client.post(url, {"tep": [photo]})
    assert refused.status_code == 400 and "đã được xử lý" in refused.content.decode()
    assert Evidence.objects.filter(nomination=n).count() == 1


def test_the_history_reads_a_nomination_in_words(scored, login):
    n = propose(scored, district(scored), "CB-001")
    n = service.nomination_review(nomination=n, actor=actor(scored, Role.PC06, "PC06"), accept=False,
                                  reason="Thiếu minh chứng")
    client = login(Role.PC06, "PC06")
    proposed, returned = Change.objects.filter(entity="de_nghi", key=str(n.pk)).order_by("id")
    page = client.get(reverse("audit_act", args=[proposed.changeset_id])).content.decode()
    for words in ("Đề nghị khen thưởng", f"Đề nghị số {n.pk}", "Nguyễn Văn An (CB-001)", "Hạng Nhì",
                  "Đã đề nghị", "Cấp huyện (theo giải)", "Công an thành phố Vị Thanh"):
        assert words in page, words
    page = client.get(reverse("audit_act", args=[returned.changeset_id])).content.decode()
    assert "Trả lại" in page and "Thiếu minh chứng" in page


def test_pc06_nominates_at_the_provincial_level_even_when_no_district_won_a_prize(campaign):
    """The base data's districts complete nothing: no prize winner, yet the provincial quotas stand once scored."""
    assert service.quotas(campaign) == []  # not scored yet
    add_officers(campaign)
    campaign = advance_to(campaign, Status.SCORED)
    kinds = {(q.level, q.kind, q.size) for q in service.quotas(campaign)}
    assert kinds == {("province", "collective", 2), ("province", "individual", 5)}
    n = propose(campaign, actor(campaign, Role.PC06, "PC06"), "CB-004", unit="PC06")
    assert n.place == 1 and n.level == "province"
