"""The coverage map and the machine-use chart in a real browser (Debian's chromium), on the demo data served by a real
server: drawn, with no console error and nothing the Content-Security-Policy refused, on a phone and a desktop; a
commune's name shown as text in the map's tooltip, never run as markup.

The module gets a database and a server of its own (tests/browser_support.py), like tests/test_browser_journeys.py.
"""

from pathlib import Path

import pytest
from browser_support import PASSWORD, Database, Server, require_chromium, run
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.browser

PHONE = {"width": 375, "height": 740}
DESKTOP = {"width": 1280, "height": 800}
# A commune of the demo's province renamed to markup that would run if the tooltip took it as HTML.
HOSTILE = '<img src="x" data-pwned="1">Phường I'
RENAME = ("from thidua.territory.models import AdminUnit; "
          f"AdminUnit.objects.filter(structure='legacy', code='31318').update(name={HOSTILE!r})")
REPO = Path(__file__).resolve().parent.parent
expect.set_options(timeout=15_000)


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    require_chromium()
    folder = tmp_path_factory.mktemp("do-phu")
    database = Database(folder)
    database.env["PYTHONPATH"] = str(REPO)  # the commands run from the folder: they import this tree's package
    try:
        facts = database.prepare()
        run(database.env, folder, "shell", "-c", RENAME)
        server = Server(database.env, folder)
        try:
            server.wait_until_answering()
            yield server.base, facts["campaign"]
        finally:
            server.stop()
    finally:
        database.drop()


@pytest.fixture
def open_page(browser, site):
    """Return a function opening a page signed in as a demo user, with the console's errors it collects."""
    contexts = []

    def opened(username: str, viewport: dict) -> tuple[Page, list[str]]:
        context = browser.new_context(base_url=site[0], locale="vi-VN", viewport=viewport)
        contexts.append(context)
        page = context.new_page()
        errors: list[str] = []
        page.on("console", lambda m: errors.append(m.text) if (m.type == "error" or "Content Security Policy"
                in m.text) and not m.location.get("url", "").endswith("/favicon.ico") else None)
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto("/dang-nhap/")
        page.get_by_label("Tên đăng nhập").fill(username)
        page.get_by_label("Mật khẩu").fill(PASSWORD)
        page.get_by_role("button", name="Đăng nhập").click()
        expect(page.get_by_role("button", name="Đăng xuất")).to_be_visible()
        return page, errors

    yield opened
    for context in contexts:
        context.close()


SHOW_HOSTILE_TIP = """element => {
  const chart = echarts.getInstanceByDom(element);
  const series = chart.getOption().series;
  for (let s = 0; s < series.length; s++) {
    const i = series[s].data.findIndex(point => point.name.includes('data-pwned'));
    if (i >= 0) { chart.dispatchAction({type: 'showTip', seriesIndex: s, dataIndex: i}); return true; }
  }
  return false;
}"""


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["375", "1280"])
@pytest.mark.parametrize("username", ["pc06", "huyen"])
def test_the_coverage_map_is_drawn_with_no_console_or_csp_error(site, open_page, username, viewport):
    page, errors = open_page(username, viewport)
    page.goto(f"/dot/{site[1]}/do-phu/")
    chart = page.locator('[data-chart="ban-do-do-phu"]')
    expect(chart).to_have_attribute("data-drawn", "1")
    expect(chart.locator("canvas")).to_have_count(1)
    box = chart.bounding_box()
    assert box["width"] > 300 and box["height"] > 400
    points = chart.evaluate("e => echarts.getInstanceByDom(e).getOption().series.reduce((n, s) => n + s.data.length,"
                            " 0)")
    assert points == page.locator("table.coverage tbody tr").count()  # every commune of the demo is placed
    page.goto(f"/dot/{site[1]}/su-dung-may/")
    expect(page.locator('[data-chart="su-dung-may"]')).to_have_attribute("data-drawn", "1")
    assert errors == []


def test_a_communes_name_in_the_tooltip_is_text(site, open_page):
    page, errors = open_page("pc06", DESKTOP)
    page.goto(f"/dot/{site[1]}/do-phu/")
    chart = page.locator('[data-chart="ban-do-do-phu"]')
    expect(chart).to_have_attribute("data-drawn", "1")
    assert chart.evaluate(SHOW_HOSTILE_TIP)
    # The tooltip is text drawn on the canvas (charts.js: ECharts' "richText", no HTML at all): the name is painted
    # as written and can never become an element.
    assert chart.evaluate("e => echarts.getInstanceByDom(e).getOption().tooltip[0].renderMode") == "richText"
    page.wait_for_timeout(300)
    assert page.locator("[data-pwned]").count() == 0
    assert errors == []
