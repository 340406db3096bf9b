"""From the deadline to the reward decision in a real browser, on the demo lived to its deadline: the simulated
today moves past the deadline (the campaign closes by itself), the council approves the scale, PC06 scores and
publishes; a prize-winning district appeals a team's day and PC06 accepts it (a second snapshot), the district
nominates an officer with a letter of praise, PC06 a provincial collective, PC06 reviews and the council approves;
the simulated today moves past the appeals window, PC06 proposes, the council records the decision, PC06 issues the
documents — each role doing its part in its own browser."""

import datetime as dt
import io
import json
import re

import pytest
from browser_support import PASSWORD, Database, Server, require_chromium, run
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.browser
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 375, "height": 740}
DEADLINE = dt.date(2021, 7, 1)
expect.set_options(timeout=20_000)

# After scoring: the first prize winner's district account and a day of one of its teams with one count only.
FACTS = """
import json
from thidua.accounts.models import Profile, Role
from thidua.awards.selectors import prizes
from thidua.campaigns.models import Campaign
from thidua.intake.models import IntakeRecord
from thidua.units.models import Unit
from django.db.models import Count
campaign = Campaign.objects.get()
winner = Unit.objects.get(campaign=campaign, code=min(prizes(campaign), key=lambda p: p.tier).unit)
account = Profile.objects.filter(role=Role.DISTRICT, unit=winner).select_related("user").first().user.username
days = (IntakeRecord.objects.filter(campaign=campaign, team__parent=winner).values("team__code", "day")
        .annotate(n=Count("id")).filter(n=1).order_by("-day"))
first = days[0]
row = IntakeRecord.objects.select_related("machine", "commune").get(
    campaign=campaign, team__code=first["team__code"], day=first["day"])
print(json.dumps({"account": account, "winner": winner.name, "team": first["team__code"],
                  "day": first["day"].strftime("%d/%m/%Y"), "value": row.applications}))
"""


def png() -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (80, 40), "white").save(buffer, "PNG")
    return buffer.getvalue()


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    require_chromium()
    folder = tmp_path_factory.mktemp("quyet-dinh")
    database = Database(folder)
    try:
        facts = database.prepare(until=DEADLINE)
        server = Server(database.env, folder)
        try:
            server.wait_until_answering()
            yield server.base, facts, lambda *args: run(database.env, folder, *args)
        finally:
            server.stop()
    finally:
        database.drop()


def as_user(browser, base: str, username: str, viewport=DESKTOP) -> Page:
    context = browser.new_context(base_url=base, locale="vi-VN", viewport=viewport)
    context.set_default_timeout(20_000)
    page = context.new_page()
    page.goto("/dang-nhap/")
    page.get_by_label("Tên đăng nhập").fill(username)
    page.get_by_label("Mật khẩu").fill(PASSWORD)
    page.get_by_role("button", name="Đăng nhập").click()
    expect(page.get_by_role("button", name="Đăng xuất")).to_be_visible()
    return page


def step_form(page: Page, title: str):
    return page.locator("form.step").filter(has=page.get_by_role("heading", name=title, exact=True))


def take_step(page: Page, title: str, reason: str, **fields: str) -> None:
    form = step_form(page, title)
    for label, value in fields.items():
        form.get_by_label(label, exact=True).fill(value)
    form.get_by_label("Lý do (ghi vào lịch sử)").fill(reason)
    form.get_by_role("button", name=title).click()


def test_from_the_deadline_to_the_decision(served, browser, tmp_path):
    base, facts, thidua = served
    code = facts["campaign"]
    campaign_page = f"/dot/{code}/"
    thidua("simulated-today", "2021-07-05")

    pc06 = as_user(browser, base, "pc06")
    pc06.goto(campaign_page)
    expect(pc06.locator(".lifecycle-track li.current")).to_have_text(re.compile("Đã kết thúc"))
    scoring = step_form(pc06, "Chấm điểm, chốt kết quả")
    expect(scoring.get_by_text("Hội đồng TĐKT chưa duyệt thang điểm.")).to_be_visible()
    expect(scoring.get_by_role("button", name="Chấm điểm, chốt kết quả")).to_be_disabled()

    council = as_user(browser, base, "hoidong", PHONE)
    council.goto("/")
    council.get_by_role("link", name="Duyệt thang điểm để PC06 chấm điểm").click()
    council.get_by_label("Lý do / căn cứ").fill("Phiên họp Hội đồng ngày 05/7/2021")
    council.get_by_role("button", name="Duyệt thang điểm").click()
    expect(council.get_by_text("Đã ghi: Hội đồng TĐKT duyệt thang điểm.")).to_be_visible()

    pc06.goto(campaign_page)
    waiting = pc06.locator("section.lifecycle p.pending").first.inner_text()
    unverified = re.search(r"Còn ([\d.]+) ngày-tổ", waiting).group(1).replace(".", "")
    take_step(pc06, "Chấm điểm, chốt kết quả", "Chấm điểm theo thang điểm đã duyệt", **{
        "Ghi số ngày-tổ chưa xác nhận để xác nhận chấm điểm cùng các ngày đó": unverified})
    expect(pc06.locator(".lifecycle-track li.current")).to_have_text(re.compile("Đã chấm điểm"))
    take_step(pc06, "Công bố kết quả", "Công bố kết quả sơ bộ")
    expect(pc06.locator(".lifecycle-track li.current")).to_have_text(re.compile("Đã công bố kết quả"))
    expect(pc06.get_by_text("05/07/2021 – 10/07/2021")).to_be_visible()

    facts = json.loads(thidua("shell", "-c", FACTS).strip().splitlines()[-1])
    district = as_user(browser, base, facts["account"], PHONE)
    district.goto("/")
    expect(district.get_by_text("Kết quả sơ bộ đã công bố: khiếu nại đến hết ngày 10/07/2021")).to_be_visible()

    # The district appeals a day of one of its teams; PC06 accepts: the data is corrected, a second snapshot made.
    district.goto(f"/dot/{code}/khieu-nai/gui/")
    district.get_by_label("Số liệu một ngày của tổ").check()
    district.get_by_label("Tổ", exact=True).select_option(facts["team"])
    district.get_by_label("Ngày", exact=True).fill(facts["day"])
    district.get_by_label("Số hồ sơ đúng theo đơn vị").fill(str(facts["value"] + 12))
    district.get_by_label("Lý do, căn cứ").fill("Sổ theo dõi của tổ ghi thêm 12 hồ sơ buổi tối chưa nhập.")
    district.get_by_label("Tệp bằng chứng").set_input_files(
        files=[{"name": "so-theo-doi.png", "mimeType": "image/png", "buffer": png()}])
    district.get_by_role("button", name="Gửi khiếu nại").click()
    expect(district.get_by_role("heading", name=re.compile("Khiếu nại số 1"))).to_be_visible()
    pc06.goto(f"/dot/{code}/khieu-nai/1/")
    pc06.get_by_label("Chấp nhận khiếu nại", exact=True).check()
    pc06.locator("form").filter(has_text="Quyết định").get_by_label("Lý do").fill("Đối chiếu sổ theo dõi: đúng.")
    pc06.get_by_role("button", name="Ghi quyết định").click()
    expect(pc06.get_by_role("status")).to_contain_text("bản chốt kết quả số 2")

    # The district nominates an officer of its own with a letter of praise; PC06 a provincial collective.
    district.goto(f"/dot/{code}/de-nghi/")
    form = district.locator("section.nominate form").first
    form.locator("input[name=ma_can_bo]:not([disabled])").first.check()
    form.get_by_label("Thành tích (phương pháp làm tốt, được nhân dân khen…)").fill(
        "Thu nhận tại nhà cho người cao tuổi; được nhân dân gửi thư khen.")
    form.locator("input[type=file]").set_input_files(
        files=[{"name": "thu-khen.png", "mimeType": "image/png", "buffer": png()}])
    form.get_by_role("button", name="Gửi đề nghị").click()
    expect(district.get_by_role("status")).to_contain_text("Đã đề nghị khen thưởng (số 1, suất thứ 1).")
    pc06.goto(f"/dot/{code}/de-nghi/")
    collective = pc06.locator("section.nominate form").filter(has=pc06.locator("select[name=ma_don_vi]")).first
    collective.locator("select[name=ma_don_vi]").select_option(index=1)
    collective.locator("textarea[name=thanh_tich]").fill("Tổ dẫn đầu toàn tỉnh về thu nhận lưu động.")
    collective.get_by_role("button", name="Gửi đề nghị").click()
    expect(pc06.get_by_role("status")).to_contain_text("Đã đề nghị khen thưởng (số 2")
    for left in (1, 0):
        pc06.goto(f"/dot/{code}/de-nghi/")
        pc06.get_by_role("button", name="Thẩm định đạt").first.click()
        expect(pc06.get_by_role("status")).to_be_visible()
        pc06.goto(f"/dot/{code}/de-nghi/")
        expect(pc06.get_by_role("button", name="Thẩm định đạt")).to_have_count(left)
    for left in (1, 0):
        council.goto(f"/dot/{code}/de-nghi/")
        council.get_by_role("button", name="Hội đồng duyệt").first.click()
        expect(council.get_by_role("status")).to_be_visible()
        council.goto(f"/dot/{code}/de-nghi/")
        expect(council.get_by_role("button", name="Hội đồng duyệt")).to_have_count(left)

    pc06.goto(campaign_page)
    proposing = step_form(pc06, "Trình đề nghị khen thưởng")
    expect(proposing.get_by_text("Thời hạn khiếu nại đến hết ngày 10/07/2021: chưa trình được.")).to_be_visible()
    expect(proposing.get_by_role("button", name="Trình đề nghị khen thưởng")).to_be_disabled()
    thidua("simulated-today", "2021-07-12")
    pc06.goto(campaign_page)
    take_step(pc06, "Trình đề nghị khen thưởng", "Trình Hội đồng TĐKT và Chủ tịch UBND tỉnh",
              **{"Số Tờ trình": "15", "Ngày Tờ trình": "12/07/2021"})
    expect(pc06.locator(".lifecycle-track li.current")).to_have_text(re.compile("Đã đề nghị khen thưởng"))

    council.goto("/")
    council.get_by_role("link", name="Ghi quyết định khen thưởng (số, ngày, người ký)").click()
    take_step(council, "Ghi quyết định khen thưởng", "Quyết định của Chủ tịch UBND tỉnh", **{
        "Số quyết định": "1234", "Ngày quyết định": "14/07/2021", "Người ký": "Lê Minh Tâm"})
    expect(council.locator(".lifecycle-track li.current")).to_have_text(re.compile("Đã có quyết định"))
    expect(council.get_by_text("Số 1234, ngày 14/07/2021, Lê Minh Tâm ký")).to_be_visible()
    council.screenshot(path=str(tmp_path / "quyet-dinh.png"), full_page=True)

    # PC06 issues the Quyết định into the register and downloads it; the documents name the approved.
    pc06.goto(f"/dot/{code}/van-ban/")
    pc06.get_by_label("Loại văn bản").select_option("quyet_dinh")
    pc06.get_by_label("Lý do", exact=True).fill("Ban hành theo quyết định đã ký")
    pc06.get_by_role("button", name="Ban hành").click()
    with pc06.expect_download() as issued:
        pc06.get_by_role("link", name=re.compile(r"quyet-dinh.*\.docx")).first.click()
    assert issued.value.suggested_filename.endswith(".docx")
    pc06.goto(f"/dot/{code}/khen-thuong/")
    expect(pc06.get_by_text("Các tập thể đạt giải và các đề nghị đã được Hội đồng TĐKT duyệt.")).to_be_visible()
    expect(pc06.get_by_text("Chưa có cá nhân nào.")).to_have_count(0)  # the officer the council approved
    assert "Chuỗi nhật ký toàn vẹn" in thidua("audit", "verify")
