"""From the deadline to the reward decision in a real browser, on the demo lived to its deadline: the simulated
today moves past the deadline (the campaign closes by itself), the council approves the scale, PC06 scores and
publishes, the simulated today moves past the appeals window, PC06 proposes and the council records the decision —
each role doing its part in its own browser."""

import datetime as dt
import re

import pytest
from browser_support import CHROMIUM, CHROMIUM_ARGS, PASSWORD, Database, Server, require_chromium, run
from playwright.sync_api import Page, expect, sync_playwright

pytestmark = pytest.mark.browser
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 375, "height": 740}
DEADLINE = dt.date(2021, 7, 1)
expect.set_options(timeout=20_000)


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


@pytest.fixture(scope="module")
def browser():
    require_chromium()
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


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
    take_step(pc06, "Chấm điểm, chốt kết quả", "Chấm điểm", **{
        "Ghi số ngày-tổ chưa xác nhận để xác nhận chấm điểm cùng các ngày đó": "0"})
    expect(pc06.get_by_text("Hội đồng TĐKT chưa duyệt thang điểm.")).to_be_visible()

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

    district = as_user(browser, base, "huyen", PHONE)
    district.goto("/")
    expect(district.get_by_text("Kết quả sơ bộ đã công bố: khiếu nại đến hết ngày 10/07/2021")).to_be_visible()
    district.goto(f"/dot/{code}/khen-thuong/")
    expect(district.get_by_role("heading", name="Khen thưởng và tiền thưởng")).to_be_visible()

    take_step(pc06, "Trình đề nghị khen thưởng", "Trình", **{"Số Tờ trình": "15", "Ngày Tờ trình": "10/07/2021"})
    expect(pc06.get_by_text("Thời hạn khiếu nại đến hết ngày 10/07/2021: chưa trình được.")).to_be_visible()
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
    assert "Chuỗi nhật ký toàn vẹn" in thidua("audit", "verify")
