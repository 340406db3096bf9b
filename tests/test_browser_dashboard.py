"""The progress dashboards in a real browser (Debian's chromium): every chart is drawn on its canvas with no console
error and no Content-Security-Policy violation, on a phone without scrolling sideways, and printed with every chart's
table shown. Against the demo data served by a real server (tests/browser_support.py)."""

import datetime as dt
from pathlib import Path

import pytest
from browser_support import PASSWORD, Database, Server, Site, require_chromium
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.browser

# A month of the campaign lived: every district has days to draw (the journeys' default stops on its fifth day).
UNTIL = dt.date(2021, 4, 1)
PHONE = {"width": 375, "height": 740}
DESKTOP = {"width": 1280, "height": 800}


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Site:
    require_chromium()
    folder = tmp_path_factory.mktemp("bieu-do")
    database = Database(folder)
    # The server runs in a folder of its own: it imports the package of this working copy, not an installed one.
    database.env["PYTHONPATH"] = str(Path(__file__).resolve().parent.parent)
    try:
        facts = database.prepare(until=UNTIL)
        server = Server(database.env, folder)
        try:
            server.wait_until_answering()
            yield Site(base=server.base, **{**facts, "days": tuple(facts["days"])})
        finally:
            server.stop()
    finally:
        database.drop()


def open_signed_in(browser, site: Site, username: str, viewport: dict) -> tuple[Page, list[str]]:
    """Return a page signed in as `username` and the list its console errors, CSP reports and script errors go to."""
    context = browser.new_context(base_url=site.base, locale="vi-VN", viewport=viewport)
    context.set_default_timeout(15_000)
    page = context.new_page()
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if (
        m.type == "error" and not m.location.get("url", "").endswith("/favicon.ico"))
        or "Content Security Policy" in m.text else None)
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.goto("/dang-nhap/")
    page.get_by_label("Tên đăng nhập").fill(username)
    page.get_by_label("Mật khẩu").fill(PASSWORD)
    page.get_by_role("button", name="Đăng nhập").click()
    expect(page.get_by_role("button", name="Đăng xuất")).to_be_visible()
    return page, problems


def expect_every_chart_drawn(page: Page) -> int:
    """Check that every chart of the page is drawn on its canvas, and hover over each; return how many there are."""
    charts = page.locator("[data-chart]")
    count = charts.count()
    assert count > 0
    for i in range(count):
        expect(charts.nth(i).locator("canvas")).to_be_visible()
        expect(charts.nth(i)).to_have_attribute("data-drawn", "1")
        charts.nth(i).hover()  # its tooltip too: ECharts' HTML tooltip would write inline styles, which CSP refuses
    return count


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["375", "1280"])
def test_every_level_draws_its_charts_with_no_error_and_no_csp_violation(browser, site, viewport, tmp_path):
    page, problems = open_signed_in(browser, site, "pc06", viewport)
    page.goto(f"/dot/{site.campaign}/bieu-do/")
    assert expect_every_chart_drawn(page) >= 2  # a small chart per district
    page.get_by_role("link", name=site.district_name).first.click()  # down to a district
    expect(page.locator("nav.trail [aria-current]")).to_have_text(site.district_name)
    expect_every_chart_drawn(page)
    page.goto(f"/dot/{site.campaign}/bieu-do/?don_vi={site.team}")
    expect_every_chart_drawn(page)
    page.locator("figcaption a", has_text="Máy").first.click()  # down to one of the team's machines
    expect(page.locator("nav.trail [aria-current]")).to_contain_text("Máy")
    expect_every_chart_drawn(page)
    assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
    page.screenshot(path=tmp_path / "may.png", full_page=True)
    assert not problems, problems


def test_printed_every_chart_has_its_table_under_it(browser, site):
    page, problems = open_signed_in(browser, site, "huyen", DESKTOP)
    page.goto(f"/dot/{site.campaign}/bieu-do/")
    expect_every_chart_drawn(page)
    tables = page.locator("details.chart-data table")
    expect(tables.first).to_be_hidden()  # on the screen the table waits behind its summary
    page.emulate_media(media="print")
    for i in range(tables.count()):
        expect(tables.nth(i)).to_be_visible()
    expect(page.locator("form.as-of")).to_be_hidden()
    assert not problems, problems
