"""The lifecycle in the site: the campaign page offers each role its steps with what they need, the steps taken
from the page (problems said, nothing changed), the council's approval and rulings, the rewards page, and each
role's home page at the end of the campaign."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone
from lifecycle import FORWARD, advance_to, moment

from thidua.accounts.models import Role
from thidua.awards.models import Snapshot, TieRuling
from thidua.awards.selectors import unverified_at_deadline
from thidua.campaigns import clock
from thidua.campaigns.models import Campaign, Status

pytestmark = pytest.mark.django_db
C = "hau-giang-2021"
ROLES = [(Role.ADMIN, "PC06"), (Role.PC06, "PC06"), (Role.COUNCIL, None), (Role.DISTRICT, "CAH-VTH"),
         (Role.TEAM, "TO-VTH-1"), (Role.VIEWER, "PC06")]


def body(response):
    return response.content.decode()


@pytest.mark.parametrize("status", [Status.DRAFT, *FORWARD])
@pytest.mark.parametrize(("role", "unit"), ROLES)
def test_every_role_sees_the_campaign_and_its_home_at_every_status(login, campaign, status, role, unit):
    if status != Status.DRAFT:
        advance_to(campaign, status)
    client = login(role, unit)
    with clock.at(moment(campaign, Status.ARCHIVED) + dt.timedelta(days=1)):
        page = client.get(reverse("campaign_detail", args=[C]))
        assert page.status_code == 200
        assert "Các bước của đợt thi đua" in body(page)
        assert client.get(reverse("home")).status_code == 200
        if status in (Status.SCORED, Status.PUBLISHED, Status.PROPOSED, Status.DECIDED, Status.ARCHIVED):
            assert client.get(reverse("rewards", args=[C])).status_code == 200
            assert client.get(reverse("ties", args=[C])).status_code == 200


def test_the_campaign_page_offers_each_role_only_its_steps(login, campaign):
    advance_to(campaign, Status.CLOSED)
    pc06 = body(login(Role.PC06, "PC06").get(reverse("campaign_detail", args=[C])))
    assert "Chấm điểm, chốt kết quả" in pc06 and "Mở lại đợt thi đua" in pc06
    assert "Danh sách ngày-tổ chưa xác nhận" in pc06
    council = body(login(Role.COUNCIL, None).get(reverse("campaign_detail", args=[C])))
    assert "Chấm điểm, chốt kết quả" not in council and "Duyệt thang điểm" in council
    district = body(login(Role.DISTRICT, "CAH-VTH").get(reverse("campaign_detail", args=[C])))
    assert "<form" not in district.split("Các bước của đợt thi đua")[1].split("</section>")[0]


def test_a_step_from_the_page_says_every_problem_and_changes_nothing(login, campaign):
    advance_to(campaign, Status.CLOSED)
    client = login(Role.PC06, "PC06")
    with clock.at(moment(campaign, Status.SCORED)):
        page = client.post(reverse("campaign_step", args=[C]), {"to": "scored", "reason": "Chấm điểm"}, follow=True)
    text = body(page)
    assert "Hội đồng TĐKT chưa duyệt thang điểm." in text and "chưa được xác nhận" in text
    assert Campaign.objects.get(code=C).status == Status.CLOSED and not Snapshot.objects.exists()


def test_the_end_of_the_campaign_taken_in_the_site(login, campaign):
    """PC06 closes and scores after the council approved the scale; publishes; the council records the decision."""
    def pc06():
        return login(Role.PC06, "PC06")

    def council():
        return login(Role.COUNCIL, None)

    advance_to(campaign, Status.RUNNING)
    with clock.at(moment(campaign, Status.CLOSED)):
        assert pc06().post(reverse("campaign_step", args=[C]), {"to": "closed", "reason": "Hết hạn"}).status_code == 302
        assert council().post(reverse("scale_approve", args=[C]), {"reason": "Phiên họp 02/7"}).status_code == 302
    campaign.refresh_from_db()
    unverified = str(unverified_at_deadline(campaign))
    with clock.at(moment(campaign, Status.SCORED)):
        pc06().post(reverse("campaign_step", args=[C]), {"to": "scored", "reason": "Chấm", "unverified_confirmed":
                                                        unverified})
    assert Campaign.objects.get(code=C).status == Status.SCORED and Snapshot.objects.count() == 1
    with clock.at(moment(campaign, Status.PUBLISHED)):
        pc06().post(reverse("campaign_step", args=[C]), {"to": "published", "reason": "Công bố"})
    with clock.at(moment(campaign, Status.PROPOSED)):
        page = pc06().post(reverse("campaign_step", args=[C]), {"to": "proposed", "reason": "Trình", "proposal_number":
                                                               "07", "proposal_date": "10/07/2021"}, follow=True)
    assert Campaign.objects.get(code=C).status == Status.PROPOSED, body(page)
    home = body(council().get(reverse("home")))
    assert "Ghi quyết định khen thưởng (số, ngày, người ký)" in home
    with clock.at(moment(campaign, Status.DECIDED)):
        council().post(reverse("campaign_step", args=[C]), {"to": "decided", "reason": "QĐ", "decision_number": "1234",
                                                          "decision_date": "12/07/2021",
                                                          "decision_signer": "Lê Minh Tâm"})
    campaign = Campaign.objects.get(code=C)
    assert campaign.status == Status.DECIDED
    assert campaign.workflow["decision"] == {"number": 1234, "date": "2021-07-12", "signer": "Lê Minh Tâm"}
    assert "Số 1234, ngày 12/07/2021, Lê Minh Tâm ký" in body(council().get(reverse("campaign_detail", args=[C])))


@pytest.mark.parametrize("hostile", ["\x00", "x" * 5000, "../../etc/passwd", "<script>alert(1)</script>",
                                     "' OR 1=1 --"])
def test_hostile_step_fields_are_refused_with_a_message(login, campaign, hostile):
    advance_to(campaign, Status.PROPOSED)
    client = login(Role.COUNCIL, None)
    page = client.post(reverse("campaign_step", args=[C]), {"to": "decided", "reason": hostile, "decision_number":
                                                            hostile, "decision_date": hostile,
                                                            "decision_signer": hostile}, follow=True)
    # NUL bytes are refused by the site before any view (400); the rest get the step's messages.
    assert page.status_code == (400 if "\x00" in hostile else 200)
    assert Campaign.objects.get(code=C).status == Status.PROPOSED
    assert "<script>alert" not in body(page)
    assert client.post(reverse("campaign_step", args=[C]), {"to": hostile}).status_code == 400


def test_a_tie_is_ruled_by_the_council_only_and_the_prizes_follow(login, campaign, monkeypatch):
    advance_to(campaign, Status.SCORED)
    snapshot = Snapshot.objects.get(campaign=campaign)
    payload = snapshot.payload()
    rows = payload["groups"][0]["standings"]
    codes = [r["unit"] for r in rows[:2]]
    # Make the first two share prize rank 1 in a second snapshot, as the scoring marks a tie.
    for r in rows[:2]:
        r.update(prize_rank=1, needs_decision=True, tie=True, rank=1,
                 award={"tier": 1, "cash_vnd": 10_000_000, "individuals": 3, "bonus_points": 3})
    import hashlib

    from thidua.awards.models import canonical_json
    data = canonical_json(payload).decode()
    Snapshot.objects.create(campaign=campaign, version=2, as_of=snapshot.as_of, data=data,
                            sha256=hashlib.sha256(data.encode()).hexdigest(), created_at=timezone.now(),
                            created_by="kiem-thu", reason="đồng hạng")
    page = body(login(Role.PC06, "PC06").get(reverse("ties", args=[C])))
    assert "Chờ Hội đồng TĐKT phân xử." in page
    assert login(Role.PC06, "PC06").post(reverse("ties", args=[C]), {
        "group": "cap_huyen", "prize_rank": "1", "order": ",".join(codes), "reason": "x"}).status_code == 403
    council = login(Role.COUNCIL, None)
    page = council.post(reverse("ties", args=[C]), {"group": "cap_huyen", "prize_rank": "1",
                                                    "order": ",".join(reversed(codes)), "reason": "Phiên họp"},
                        follow=True)
    assert TieRuling.objects.get().order == list(reversed(codes))
    from thidua.awards.selectors import prizes
    tiers = {p.unit: p.tier for p in prizes(campaign)}
    assert tiers[codes[1]] == 1 and tiers[codes[0]] == 2
    again = login(Role.COUNCIL, None).post(reverse("ties", args=[C]), {"group": "cap_huyen", "prize_rank": "1",
                                                     "order": ",".join(codes), "reason": "lần hai"}, follow=True)
    assert "Không có đồng hạng" in body(again) or TieRuling.objects.count() == 1


def test_the_rewards_page_shows_each_prize_and_the_total(login, campaign):
    advance_to(campaign, Status.SCORED)
    page = body(login(Role.PC06, "PC06").get(reverse("rewards", args=[C])))
    assert "Tổng cộng" in page and "Tiền kèm Bằng khen" in page
    district = body(login(Role.DISTRICT, "CAH-NBA").get(reverse("rewards", args=[C])))
    assert "Tổng cộng" not in district


def test_a_step_that_cannot_be_taken_yet_says_why_and_its_button_waits(login, campaign):
    campaign = advance_to(campaign, Status.PUBLISHED)
    with clock.at(moment(campaign, Status.PUBLISHED) + dt.timedelta(days=1)):
        page = body(login(Role.PC06, "PC06").get(reverse("campaign_detail", args=[C])))
        home = body(login(Role.PC06, "PC06").get(reverse("home")))
    step = page.split("<h3>Trình đề nghị khen thưởng</h3>")[1].split("</form>")[0]
    assert "Chưa thực hiện được bước này:" in step and "Thời hạn khiếu nại đến hết ngày 09/07/2021" in step
    assert 'disabled>Trình đề nghị khen thưởng</button>' in step
    assert "Bước tiếp theo: Trình đề nghị khen thưởng — còn 1 điều kiện chưa đạt" in home
    with clock.at(moment(campaign, Status.PROPOSED)):
        page = body(login(Role.PC06, "PC06").get(reverse("campaign_detail", args=[C])))
    step = page.split("<h3>Trình đề nghị khen thưởng</h3>")[1].split("</form>")[0]
    assert "Chưa thực hiện được" not in step and "disabled>" not in step
