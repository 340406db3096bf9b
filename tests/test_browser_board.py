"""The operations room's board in a real browser (Debian's chromium) against the demo served by a real server: it
follows a team's report sent from another browser without anyone reloading it; the replay's slider and buttons
change the day shown.

The server polls fast here (THIDUA_BOARD_POLL_SECONDS=1) so that the journey takes seconds, not the TV's 15.
"""

import re

import pytest
from browser_support import PASSWORD, UNTIL, Database, Server, Site, require_chromium
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.browser

TV = {"width": 1280, "height": 720}
expect.set_options(timeout=15_000)


def vn_number(n: int) -> str:
    return f"{n:,}".replace(",", ".")


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Site:
    require_chromium()
    folder = tmp_path_factory.mktemp("bang-tin")
    database = Database(folder)
    try:
        facts = database.prepare()
        server = Server({**database.env, "THIDUA_BOARD_POLL_SECONDS": "1"}, folder)
        try:
            server.wait_until_answering()
            yield Site(base=server.base, **{**facts, "days": tuple(facts["days"])})
        finally:
            server.stop()
    finally:
        database.drop()


@pytest.fixture
def new_page(browser, site):
    """Return a function opening a page in a fresh context (its own cookies: one user), in Vietnamese."""
    contexts = []

    def open_page(viewport=TV) -> Page:
        context = browser.new_context(base_url=site.base, locale="vi-VN", viewport=viewport)
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
    expect(page.get_by_role("button", name="Đăng xuất")).to_be_attached()


def number(text: str) -> int:
    return int(text.strip().replace(".", ""))


def test_the_board_follows_a_report_sent_elsewhere_without_a_reload(site, new_page, tmp_path):
    board = new_page()
    log_in(board, "pc06")
    board.goto(f"/dot/{site.campaign}/bang-tin/")
    missing = board.locator(".board-missing h2")
    not_sent, due = map(int, re.search(r"(\d+)/(\d+) tổ", missing.text_content()).groups())
    cumulative = board.locator(".board-totals dd").nth(1)
    before = number(cumulative.inner_text())
    board.evaluate("window.boardMark = 'the same page'")
    # While nothing changes, the poll answers 204 and the board stays as it is.
    with board.expect_response(lambda r: "/bang-tin/cap-nhat/" in r.url and r.status == 204):
        pass
    expect(cumulative).to_have_text(vn_number(before))

    clerk = new_page()
    log_in(clerk, "to")
    clerk.goto(f"/dot/{site.campaign}/bao-cao/{site.team}/{UNTIL.isoformat()}/")
    clerk.locator("form.report input[name^='n-']").first.fill("37")
    clerk.get_by_role("button", name="Lưu và gửi").click()
    expect(clerk.get_by_role("status")).to_contain_text("Đã gửi báo cáo ngày")

    expect(cumulative).to_have_text(vn_number(before + 37))
    expect(missing).to_have_text(f"Chưa gửi báo cáo hôm nay: {not_sent - 1}/{due} tổ")
    assert board.evaluate("window.boardMark") == "the same page"  # updated in place, never reloaded
    board.screenshot(path=tmp_path / "bang-tin.png")


def test_the_board_fits_a_tv_without_scrolling(site, new_page):
    for size in ({"width": 1920, "height": 1080}, TV):
        page = new_page(size)
        log_in(page, "pc06")
        page.goto(f"/dot/{site.campaign}/bang-tin/")
        expect(page.locator("header.top")).to_be_hidden()
        assert page.evaluate("document.documentElement.scrollHeight <= window.innerHeight"), size
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), size


def test_the_replays_slider_and_buttons_change_the_day(site, new_page):
    page = new_page({"width": 1280, "height": 900})
    log_in(page, "xem")
    page.goto(f"/dot/{site.campaign}/dien-bien/")
    slider = page.get_by_label("Chọn ngày trên thanh trượt")
    title = page.locator("#replay-day-title")
    expect(title).to_contain_text(f"Ngày {UNTIL:%d/%m/%Y}")
    slider.focus()
    page.keyboard.press("Home")
    expect(title).to_contain_text("Ngày 25/02/2021")
    expect(slider).to_have_attribute("aria-valuetext", "25/02/2021")
    expect(page).to_have_url(re.compile(r"\?ngay=2021-02-25$"))
    page.get_by_role("link", name="Ngày sau").click()
    expect(title).to_contain_text("Ngày 26/02/2021")
    expect(slider).to_have_value("2")
    expect(page.locator("#ngay")).to_have_value("26/02/2021")
    # By keyboard: the button keeps the focus once the day is replaced. htmx takes the new button in hand when the
    # swap settles (it loses its htmx-added class then); a key pressed before that follows the plain link, which
    # loads the whole page at the right day (but with the focus at its top): wait, and check it was not reloaded.
    expect(page.locator("#replay-next")).not_to_have_class(re.compile(r"\bhtmx-added\b"))
    page.evaluate("window.replayMark = 'the same page'")
    page.get_by_role("link", name="Ngày sau").focus()
    page.keyboard.press("Enter")
    expect(title).to_contain_text("Ngày 27/02/2021")
    expect(page.locator("#replay-next")).to_be_focused()
    assert page.evaluate("window.replayMark") == "the same page"


def test_a_board_whose_session_ended_goes_to_the_login_page(site, new_page):
    """The poll of a board whose session ended is sent to the login page: the board loads itself again (and so
    asks to sign in, then comes back) instead of drawing the login form inside itself."""
    page = new_page()
    log_in(page, "pc06")
    page.goto(f"/dot/{site.campaign}/bang-tin/")
    page.context.clear_cookies()
    expect(page).to_have_url(re.compile(r"/dang-nhap/\?next=/dot/[^/]+/bang-tin/$"))
    expect(page.locator("#board-live")).to_have_count(0)
