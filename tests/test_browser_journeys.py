"""The main journeys in a real browser (Debian's chromium, driven by playwright), against the demo data served by
a real server: logging in and out; a team clerk entering a day on a phone; the district verifying it, PC06
reopening it; the standings following the counts; a file imported with errors, then corrected; a clerk kept out of
another team's report.

The module gets a database and a server of its own (tests/browser_support.py) and one browser; each journey
opens fresh browser contexts (one per user) set to Vietnamese, and works on a day of its own, so the journeys do
not depend on each other's order. A screenshot of the end of each journey is written to the pytest tmp dir.
"""

import re

import pytest
from browser_support import PASSWORD, UNTIL, Database, Server, Site, require_chromium
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.browser

PHONE = {"width": 375, "height": 740}
DESKTOP = {"width": 1280, "height": 800}
expect.set_options(timeout=15_000)


def vn_date(iso: str) -> str:
    year, month, day = iso.split("-")
    return f"{day}/{month}/{year}"


def vn_number(n: int) -> str:
    return f"{n:,}".replace(",", ".")


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Site:
    require_chromium()
    folder = tmp_path_factory.mktemp("parcours")
    database = Database(folder)
    try:
        facts = database.prepare()
        assert len(facts["days"]) >= 4, f"the demo team holds a machine on too few empty days: {facts}"
        assert facts["team_district"] == facts["district"], "the demo's `to` should belong to `huyen`'s district"
        server = Server(database.env, folder)
        try:
            server.wait_until_answering()
            yield Site(base=server.base, **{**facts, "days": tuple(facts["days"])})
        finally:
            server.stop()
    finally:
        database.drop()


@pytest.fixture(scope="module")
def shots(tmp_path_factory):
    """The folder of the journeys' screenshots (printed with `-s`)."""
    folder = tmp_path_factory.mktemp("man-hinh")
    yield folder
    print(f"\nảnh chụp màn hình: {folder}")


@pytest.fixture
def new_page(browser, site):
    """Return a function opening a page in a fresh context (its own cookies: one user), in Vietnamese."""
    contexts = []

    def open_page(viewport=DESKTOP, **options) -> Page:
        context = browser.new_context(base_url=site.base, locale=options.pop("locale", "vi-VN"), viewport=viewport,
                                      **options)
        context.set_default_timeout(15_000)
        contexts.append(context)
        return context.new_page()

    yield open_page
    for context in contexts:
        context.close()


def log_in(page: Page, username: str) -> None:
    page.goto("/dang-nhap/")
    page.get_by_label("Tên đăng nhập").fill(username)
    page.get_by_label("Mật khẩu").fill(PASSWORD)
    page.get_by_role("button", name="Đăng nhập").click()
    expect(page.get_by_role("button", name="Đăng xuất")).to_be_visible()


def count_inputs(page: Page):
    return page.locator("form.report input[name^='n-']")


def submit_day(page: Page, site: Site, day: str, counts: list[str]) -> None:
    """As the clerk: enter counts in the first cells of the day and send it."""
    page.goto(site.day_url(day))
    for cell, value in zip(count_inputs(page).all(), counts, strict=False):
        cell.fill(value)
    page.get_by_role("button", name="Lưu và gửi").click()
    expect(page.get_by_role("status")).to_have_text(f"Đã gửi báo cáo ngày {vn_date(day)} của {site.team_name}.")


def status_badge(page: Page):
    return page.locator("p.lead .badge").first


def test_a_user_logs_in_with_the_right_password_only_and_logs_out(site, new_page, shots):
    page = new_page()
    page.goto("/")
    expect(page).to_have_url(re.compile(r"/dang-nhap/\?next=/$"))
    expect(page.get_by_role("heading", name="Đăng nhập")).to_be_visible()

    page.get_by_label("Tên đăng nhập").fill("to")
    page.get_by_label("Mật khẩu").fill("mat-khau-sai")
    page.get_by_role("button", name="Đăng nhập").click()
    expect(page.get_by_role("alert")).to_contain_text("mật khẩu chính xác")
    expect(page.get_by_role("button", name="Đăng xuất")).to_have_count(0)
    page.screenshot(path=shots / "a-sai-mat-khau.png")

    page.get_by_label("Mật khẩu").fill(PASSWORD)
    page.get_by_role("button", name="Đăng nhập").click()
    expect(page).to_have_url(site.url("/"))  # the home page: the user's campaign, their name and role
    expect(page.get_by_role("link", name=site.campaign_name).first).to_be_visible()
    expect(page.locator("header")).to_contain_text(f"{site.clerk_name} · Tổ")
    expect(page.get_by_text("Dữ liệu mô phỏng", exact=True)).to_be_visible()
    expect(page.locator(".simulated-today")).to_contain_text(f"Hôm nay mô phỏng: {vn_date(UNTIL.isoformat())}")

    page.get_by_role("button", name="Đăng xuất").click()
    expect(page).to_have_url(site.url("/dang-nhap/"))
    expect(page.get_by_role("button", name="Đăng xuất")).to_have_count(0)
    page.goto("/")
    expect(page).to_have_url(re.compile(r"/dang-nhap/\?next=/$"))
    page.screenshot(path=shots / "a-da-dang-xuat.png")


def test_a_team_clerk_enters_the_day_on_a_phone_fixes_a_bad_count_and_submits(site, new_page, shots):
    day = site.days[0]
    page = new_page(viewport=PHONE, is_mobile=True, has_touch=True)
    log_in(page, "to")
    page.get_by_role("link", name=site.campaign_name).first.click()
    page.get_by_role("navigation", name="Mục của đợt thi đua").get_by_role("link", name="Báo cáo ngày").click()
    page.get_by_label("Ngày", exact=True).fill(vn_date(day))  # typed as written: dd/mm/yyyy
    page.get_by_role("button", name="Xem").click()
    expect(page.get_by_label("Ngày", exact=True)).to_have_value(vn_date(day))
    row = page.get_by_role("row").filter(has_text=site.team_name)
    expect(row).to_contain_text("Chưa gửi")
    row.get_by_role("link", name=site.team_name).click()
    expect(page.get_by_role("heading", name=site.team_name)).to_be_visible()
    expect(page.locator("p.lead")).to_contain_text(f"Ngày {vn_date(day)}")
    expect(status_badge(page)).to_have_text("Đang nhập")

    first, second = count_inputs(page).nth(0), count_inputs(page).nth(1)
    first.fill("-5")
    second.fill("mười")
    page.get_by_role("button", name="Lưu", exact=True).click()
    expect(page.get_by_role("alert").filter(has_text="Chưa lưu gì")).to_have_text(
        "Chưa lưu gì: sửa các ô được đánh dấu rồi lưu lại.")
    for cell, value, message in ((first, "-5", "«-5» là số âm, cần số ≥ 0"),
                                 (second, "mười", "«mười» không phải là số")):
        expect(cell).to_have_value(value)  # what was typed is kept, to be corrected
        expect(cell).to_have_attribute("aria-invalid", "true")
        error = page.locator(f"#{cell.get_attribute('id')}-err")
        expect(error).to_have_text(message)
        # Next to its field: in the field's own cell, right under it, within the phone's width.
        expect(cell.locator("xpath=..").locator(".error")).to_have_text(message)
        box, under = cell.bounding_box(), error.bounding_box()
        assert under["y"] >= box["y"] + box["height"] - 1 and under["y"] - (box["y"] + box["height"]) < 40
        assert under["x"] >= 0 and under["x"] + under["width"] <= PHONE["width"]
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"], "the form is wider than a phone"
    expect(page.locator("p.total")).to_contain_text("Tổng đã lưu: 0 hồ sơ")
    page.screenshot(path=shots / "b-o-sai.png", full_page=True)

    first.fill("42")
    second.fill("17")
    page.get_by_role("button", name="Lưu", exact=True).click()
    expect(page.get_by_role("status")).to_have_text("Đã lưu.")
    expect(page.locator(".cell.invalid")).to_have_count(0)
    expect(page.locator("p.total")).to_contain_text("Tổng đã lưu: 59 hồ sơ")
    expect(status_badge(page)).to_have_text("Đang nhập")

    page.get_by_role("button", name="Lưu và gửi").click()
    expect(page.get_by_role("status")).to_have_text(f"Đã gửi báo cáo ngày {vn_date(day)} của {site.team_name}.")
    expect(status_badge(page)).to_have_text("Đã gửi, chờ xác nhận")
    expect(page.locator("ul.report-steps")).to_contain_text(re.compile(r"Gửi lần đầu bởi [^()]+ \(to\) lúc"))
    expect(count_inputs(page).nth(0)).to_have_value("42")
    expect(page.get_by_role("button", name="Lưu và gửi")).to_have_count(0)  # sent once; corrections need a reason
    expect(page.get_by_label("Lý do sửa (bắt buộc khi sửa ngày đã gửi)")).to_be_visible()
    page.screenshot(path=shots / "b-da-gui.png", full_page=True)

    page.get_by_role("link", name=f"← Báo cáo ngày {vn_date(day)}").click()
    expect(page.get_by_role("row").filter(has_text=site.team_name)).to_contain_text("Đã gửi, chờ xác nhận")


def test_the_district_verifies_a_submitted_day_which_locks_it_until_pc06_reopens_it(site, new_page, shots):
    day = site.days[1]
    clerk = new_page()
    log_in(clerk, "to")
    submit_day(clerk, site, day, ["30"])

    district = new_page()
    log_in(district, "huyen")
    district.goto(f"/dot/{site.campaign}/bao-cao/?ngay={day}")
    expect(district.locator("p.lead")).to_contain_text(f"Ngày {vn_date(day)}")
    row = district.get_by_role("row").filter(has_text=site.team_name)
    expect(row).to_contain_text("Đã gửi, chờ xác nhận")
    row.get_by_role("link", name=site.team_name).click()
    expect(status_badge(district)).to_have_text("Đã gửi, chờ xác nhận")
    expect(count_inputs(district).nth(0)).to_have_value("30")
    district.get_by_role("button", name="Xác nhận (khóa ngày này)").click()
    expect(district.get_by_role("status")).to_have_text(f"Đã xác nhận ngày {vn_date(day)}: số liệu đã khóa.")
    expect(status_badge(district)).to_have_text("Đã xác nhận (khóa)")
    expect(district.locator("ul.report-steps")).to_contain_text(re.compile(r"Xác nhận bởi [^()]+ \(huyen\) lúc"))
    expect(district.get_by_role("button", name="Mở lại để sửa")).to_have_count(0)  # only PC06 reopens
    district.screenshot(path=shots / "c-huyen-da-xac-nhan.png", full_page=True)

    clerk.reload()
    expect(status_badge(clerk)).to_have_text("Đã xác nhận (khóa)")
    expect(count_inputs(clerk).nth(0)).to_be_disabled()
    expect(clerk.get_by_role("button", name="Lưu", exact=True)).to_have_count(0)
    expect(clerk.locator(".locked-note")).to_contain_text("báo PC06 (hoặc Quản trị): họ mở lại ngày này")

    pc06 = new_page()
    log_in(pc06, "pc06")
    pc06.goto(site.day_url(day))
    pc06.get_by_label("Lý do mở lại").fill("   ")  # passes the browser's `required`, not the server
    pc06.get_by_role("button", name="Mở lại để sửa").click()
    expect(pc06.get_by_role("alert")).to_have_text("Mở lại ngày đã xác nhận cần ghi lý do.")  # and nothing else
    expect(status_badge(pc06)).to_have_text("Đã xác nhận (khóa)")
    pc06.get_by_label("Lý do mở lại").fill("Tổ ghi nhầm xã, cần sửa")
    pc06.get_by_role("button", name="Mở lại để sửa").click()
    expect(pc06.get_by_role("status")).to_have_text(f"Đã mở lại ngày {vn_date(day)} để tổ sửa và gửi lại.")
    expect(status_badge(pc06)).to_have_text("Đang nhập")
    pc06.screenshot(path=shots / "c-pc06-da-mo-lai.png", full_page=True)

    clerk.reload()
    expect(status_badge(clerk)).to_have_text("Đang nhập")
    expect(count_inputs(clerk).nth(0)).to_be_enabled()
    expect(count_inputs(clerk).nth(0)).to_have_value("30")
    expect(clerk.get_by_role("button", name="Lưu và gửi")).to_be_visible()
    expect(clerk.locator("ul.report-steps")).to_contain_text("«Tổ ghi nhầm xã, cần sửa»")
    clerk.goto("/")
    reopened = clerk.locator("section.reopened")
    expect(reopened).to_contain_text("«Tổ ghi nhầm xã, cần sửa»")
    reopened.get_by_role("link", name=vn_date(day)).click()
    clerk.get_by_role("button", name="Lưu và gửi").click()
    expect(clerk.locator("ul.report-steps")).to_contain_text(re.compile(r"Gửi lại bởi [^()]+ \(to\) lúc"))
    expect(clerk.locator("p.muted").filter(has_text="Trễ hạn tính theo lần gửi đầu tiên")).to_be_visible()


def _intake_cell(page: Page, site: Site):
    """The district's «Thu nhận» cell in the scored group's table."""
    table = page.locator("table.standings").first
    headers = [h.strip() for h in table.locator("thead th").all_inner_texts()]
    # The name is a link only for units in the user's scope; the exact name, as "Châu Thành" is in "Châu Thành A".
    name = page.locator("td.name").filter(has_text=re.compile(rf"^\s*{re.escape(site.district_name)}\s*$"))
    row = table.locator("tbody tr").filter(has=name)
    return row.locator("td").nth(headers.index("Thu nhận"))


def test_the_standings_count_a_day_as_soon_as_its_counts_are_entered(site, new_page, shots):
    day = site.days[2]
    page = new_page()
    log_in(page, "to")
    standings = f"/dot/{site.campaign}/xep-hang/?ngay={day}"
    page.goto(standings)
    expect(page.locator("p.lead")).to_contain_text(f"Tạm tính: nếu đợt thi đua kết thúc vào ngày {vn_date(day)}")
    before = int(_intake_cell(page, site).inner_text().replace(".", ""))

    page.goto(site.day_url(day))
    count_inputs(page).nth(0).fill("123")
    page.get_by_role("button", name="Lưu", exact=True).click()
    expect(page.get_by_role("status")).to_have_text("Đã lưu.")

    page.goto(standings)
    expect(_intake_cell(page, site)).to_have_text(vn_number(before + 123))
    page.screenshot(path=shots / "d-xep-hang.png", full_page=True)


def test_a_date_is_typed_and_picked_day_first_in_vietnamese_on_a_phone_in_english_too(site, new_page, shots):
    # A phone set to English: its own date fields would be mm/dd/yyyy; the site's are dd/mm/yyyy all the same.
    page = new_page(viewport=PHONE, is_mobile=True, has_touch=True, locale="en-US")
    refused = []
    page.on("console", lambda message: refused.append(message.text) if "Content Security Policy" in message.text
            else None)
    log_in(page, "pc06")
    page.goto(f"/dot/{site.campaign}/xep-hang/")
    field = page.get_by_label("Tính đến ngày")
    expect(field).to_have_attribute("placeholder", "dd/mm/yyyy")
    field.fill("15/03/2021")
    field.press("Enter")
    expect(page.locator("p.lead")).to_contain_text("15/03/2021")
    expect(field).to_have_value("15/03/2021")

    field.click()  # typing opens no calendar: it would cover the form's button on a phone
    expect(page.locator(".flatpickr-calendar.open")).to_have_count(0)
    page.get_by_role("button", name="Chọn ngày trên lịch").click()  # in Vietnamese, from Monday, at the field's month
    calendar = page.locator(".flatpickr-calendar.open")
    expect(calendar).to_be_visible()
    expect(calendar.locator(".flatpickr-weekday").first).to_have_text("T2")
    month = calendar.get_by_label("Tháng", exact=True)
    assert month.evaluate("select => select.options[select.selectedIndex].text") == "Tháng ba"
    expect(calendar.get_by_label("Năm", exact=True)).to_have_value("2021")
    page.screenshot(path=shots / "e-lich.png")
    calendar.get_by_label("20/03/2021").click()  # picking the day is the form's whole purpose: it is sent
    expect(page.locator("p.lead")).to_contain_text("20/03/2021")
    expect(page.get_by_label("Tính đến ngày")).to_have_value("20/03/2021")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    assert not refused, refused


def test_a_team_clerk_cannot_open_another_teams_report(site, new_page, shots):
    page = new_page()
    log_in(page, "to")
    for team in (site.other_team, "KHONG-CO-TO-NAY"):
        response = page.goto(site.day_url(site.days[0], team=team))
        assert response.status == 404
        expect(page.get_by_role("heading", name="Không tìm thấy trang này")).to_be_visible()
        expect(page.locator("main")).to_contain_text("không thuộc phạm vi của tài khoản của bạn")
        expect(page.locator("html")).to_have_attribute("lang", "vi")
    page.screenshot(path=shots / "e-khong-tim-thay.png", full_page=True)
    page.get_by_role("link", name="Về trang chủ").click()
    expect(page).to_have_url(site.url("/"))
    expect(page.get_by_role("link", name=site.campaign_name).first).to_be_visible()


def test_a_browser_set_to_english_still_gets_the_login_error_in_vietnamese(site, new_page):
    """The language is the site's (Vietnamese) unless the user picks another, never the browser's Accept-Language."""
    page = new_page(locale="en-US")
    page.goto("/dang-nhap/")
    page.get_by_label("Tên đăng nhập").fill("to")
    page.get_by_label("Mật khẩu").fill("mat-khau-sai")
    page.get_by_role("button", name="Đăng nhập").click()
    expect(page.get_by_role("alert")).to_contain_text("mật khẩu chính xác")


def intake_file(rows: list[tuple[str, str, str, str]]) -> dict:
    """A `thu_nhan.csv` as the browser uploads it (dates dd/mm/yyyy, UTF-8 with a BOM, as Excel writes it)."""
    lines = ["ngay,ma_may,ma_xa,so_ho_so", *(",".join(row) for row in rows)]
    return {"name": "thu_nhan.csv", "mimeType": "text/csv", "buffer": ("\ufeff" + "\r\n".join(lines)).encode()}


def test_a_file_with_errors_is_refused_row_by_row_then_the_corrected_file_is_imported(site, new_page, shots):
    day = site.days[3]
    page = new_page()
    log_in(page, "to")
    page.goto(site.day_url(day))
    machine, commune = count_inputs(page).nth(0).get_attribute("name").split("-", 1)[1].rsplit("-", 1)
    _, other_commune = count_inputs(page).nth(1).get_attribute("name").split("-", 1)[1].rsplit("-", 1)
    date = vn_date(day)

    page.get_by_role("link", name=f"← Báo cáo ngày {date}").click()
    page.get_by_role("navigation", name="Mục của đợt thi đua").get_by_role("link", name="Nhập tệp").click()
    expect(page.get_by_role("link", name="tải tệp mẫu (.xlsx)")).to_be_visible()
    page.get_by_label("Tệp (tối đa").set_input_files(intake_file([
        (date, machine, commune, "-4"), (date, machine, "99999", "10"), (date, machine, other_commune, "12")]))
    page.get_by_role("button", name="Tải lên và kiểm tra").click()
    alert = page.get_by_role("alert").filter(has_text="lỗi")
    expect(alert).to_contain_text("Tệp có 2 lỗi: chưa nhập gì, cơ sở dữ liệu không thay đổi.")
    errors = page.locator("table.errors tbody tr")
    expect(errors).to_have_count(2)
    expect(errors.nth(0)).to_contain_text("«-4» là số âm")
    expect(errors.nth(0).locator("td").nth(1)).to_have_text("2")  # the file's row 2 (row 1 is the header)
    expect(errors.nth(1)).to_contain_text("99999")
    expect(errors.nth(1).locator("td").nth(1)).to_have_text("3")
    expect(page.get_by_role("button", name="Xác nhận nhập")).to_have_count(0)
    page.screenshot(path=shots / "f-tep-loi.png", full_page=True)

    page.get_by_label("Tệp (tối đa").set_input_files(intake_file([
        (date, machine, commune, "40"), (date, machine, other_commune, "12")]))
    page.get_by_role("button", name="Tải lên và kiểm tra").click()
    expect(page.locator("p.lead").filter(has_text="Tệp hợp lệ")).to_be_visible()
    counts = page.locator("table.counts tbody tr").filter(has_text="Thu nhận hồ sơ")
    expect(counts.locator("td").nth(1)).to_have_text("2")
    expect(page.locator("table.planned tbody tr")).to_have_count(2)
    page.screenshot(path=shots / "f-xem-truoc.png", full_page=True)
    page.get_by_role("button", name="Xác nhận nhập").click()
    expect(page.get_by_role("status")).to_have_text("Đã nhập «thu_nhan.csv»: thêm 2, sửa 0, không đổi 0.")
    page.screenshot(path=shots / "f-da-nhap.png", full_page=True)

    page.goto(site.day_url(day))
    expect(page.locator(f"input[name='n-{machine}-{commune}']")).to_have_value("40")
    expect(page.locator("p.total")).to_contain_text("Tổng đã lưu: 52 hồ sơ")
    page.get_by_role("link", name="Lịch sử của ngày này").click()
    expect(page.locator("article.history-entry").filter(has_text="Nhập tệp").first).to_be_visible()
