"""Take screenshots of the demo's pages at phone (375 px) and desktop (1280 px) widths with Debian's chromium.

    .venv/bin/python scripts/screenshots.py [--base http://127.0.0.1:8000] [--out shots]

Starts its own demo server on a free port unless --base is given; logs in as the demo's PC06 user.
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


def shoot(base: str, out: Path) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    taken = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", headless=True, args=CHROMIUM_ARGS)
        for name, width in WIDTHS.items():
            page = browser.new_page(viewport={"width": width, "height": 800})
            page.goto(base + "/")
            taken.append(out / f"dang-nhap-{name}.png")
            page.screenshot(path=taken[-1])
            page.fill("#id_username", "pc06")
            page.fill("#id_password", "ThiDua@2021")
            page.click("button[type=submit]")
            taken.append(out / f"trang-chu-{name}.png")
            page.screenshot(path=taken[-1], full_page=True)
            page.click("article a")
            taken.append(out / f"dot-thi-dua-{name}.png")
            page.screenshot(path=taken[-1], full_page=True)
        browser.close()
    return taken


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base")
    parser.add_argument("--out", default=str(ROOT / "shots"))
    args = parser.parse_args()
    server = None
    base = args.base
    if base is None:
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        server = subprocess.Popen([sys.executable, "-m", "thidua", "demo", f"127.0.0.1:{port}"], cwd="/tmp",
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for(base + "/dang-nhap/")
        for path in shoot(base, Path(args.out)):
            print(path)
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=10)


if __name__ == "__main__":
    main()
