"""Take screenshots of the demo's pages at phone (375 px) and desktop (1280 px) widths with Debian's chromium.

    .venv/bin/python scripts/screenshots.py [--base http://127.0.0.1:8000] [--out shots]

Starts its own demo server on a free port unless --base is given; logs in as each demo user in turn.
"""

import argparse
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
WIDTHS = {"phone": 375, "desktop": 1280}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(url: str, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(url, timeout=2)
            return
        except OSError:
            time.sleep(0.5)
    raise SystemExit(f"{url} did not answer")


C = "/dot/hau-giang-2021"
# (user, file name, how to get there): a path, or a path then a link to click (CSS selector) on that page.
PAGES = [
    ("to", "trang-chu-to", "/"),
    ("to", "bao-cao-ngay-to", (C + "/bao-cao/?ngay=2021-03-15", "table a")),
    ("to", "don-vi-to", (C + "/", "table.units a")),
    ("to", "tai-khoan-to", "/tai-khoan/"),
    ("huyen", "trang-chu-huyen", "/"),
    ("huyen", "bao-cao-huyen", C + "/bao-cao/?ngay=2021-07-01"),
    ("huyen", "don-vi-huyen", (C + "/", "table.units a")),
    ("pc06", "trang-chu-pc06", "/"),
    ("pc06", "dot-thi-dua", C + "/"),
    ("pc06", "xep-hang", C + "/xep-hang/"),
    ("pc06", "bang-tin", C + "/bang-tin/"),
    ("pc06", "dien-bien", C + "/dien-bien/?ngay=2021-03-05"),
    ("pc06", "cach-tinh-diem", (C + "/xep-hang/", "table.standings a")),
    ("pc06", "bao-cao-ngay-cho-xac-nhan", (C + "/bao-cao/?ngay=2021-07-01", "table a")),
    ("pc06", "lich-su-ngay", (C + "/bao-cao/?ngay=2021-07-01", "table a", "p.total a")),
    ("pc06", "nhap-tep", C + "/nhap-tep/"),
    ("pc06", "nhat-ky", "/nhat-ky/"),
    ("pc06", "nhat-ky-mot-muc", ("/nhat-ky/", "table.acts a")),
    ("hoidong", "trang-chu-hoi-dong", "/"),
    ("xem", "trang-chu-xem", "/"),
    ("quantri", "trang-chu-quan-tri", "/"),
    ("quantri", "nguoi-dung", "/quan-tri/nguoi-dung/"),
    ("quantri", "nguoi-dung-sua", ("/quan-tri/nguoi-dung/", "table.users a")),
    ("quantri", "nguoi-dung-lich-su", ("/quan-tri/nguoi-dung/", "table.users a", "a[href$='/lich-su/']")),
    ("quantri", "nguoi-dung-them", "/quan-tri/nguoi-dung/them/"),
    ("quantri", "nguoi-dung-nhap-tep", "/quan-tri/nguoi-dung/nhap-tep/"),
    ("pc06", "nguoi-dung-khong-co-quyen", "/quan-tri/nguoi-dung/"),
]


def shoot(base: str, out: Path, users: set[str] | None = None) -> list[Path]:
    """Log in as each demo user in turn and take every page of PAGES at each width."""
    out.mkdir(parents=True, exist_ok=True)
    taken = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", headless=True, args=CHROMIUM_ARGS)
        for width_name, width in WIDTHS.items():
            page = browser.new_page(viewport={"width": width, "height": 800})
            page.goto(base + "/")
            taken.append(out / f"dang-nhap-{width_name}.png")
            page.screenshot(path=taken[-1])
            current = None
            for user, name, where in PAGES:
                if users and user not in users:
                    continue
                if user != current:
                    page.context.clear_cookies()
                    page.goto(base + "/dang-nhap/")
                    page.fill("#id_username", user)
                    page.fill("#id_password", "ThiDua@2021")
                    page.click("button[type=submit]")
                    page.wait_for_load_state()
                    current = user
                path, *clicks = (where,) if isinstance(where, str) else where
                page.goto(base + path)
                for selector in clicks:
                    page.click(selector)
                    page.wait_for_load_state()
                taken.append(out / f"{name}-{width_name}.png")
                page.screenshot(path=taken[-1], full_page=True)
        browser.close()
    return taken


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base")
    parser.add_argument("--out", default=str(ROOT / "shots"))
    parser.add_argument("--users", help="only these demo users' pages, comma-separated (e.g. to,pc06)")
    args = parser.parse_args()
    server = None
    base = args.base
    if base is None:
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        server = subprocess.Popen([sys.executable, "-m", "thidua", "demo", f"127.0.0.1:{port}"], cwd="/tmp",
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for(base + "/dang-nhap/", 300)  # the demo lives its campaign first: 20 s, more on a busy machine
        for path in shoot(base, Path(args.out), set(args.users.split(",")) if args.users else None):
            print(path)
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=10)


if __name__ == "__main__":
    main()
