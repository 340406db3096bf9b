"""`thidua demo` served: the host names it answers to (a phone on the same network when bound to every address),
what it prints to point the other `thidua` commands at its database, and its simulated today."""

import os
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

import pytest
from browser_support import free_port
from django.conf import settings
from django.core.management import CommandError, call_command

from thidua.demo import serving
from thidua.demo.serving import Binding

TODAY = "2021-02-27"


@pytest.fixture
def lan(monkeypatch):
    monkeypatch.setattr(serving, "machine_addresses", lambda: ["192.168.1.23"])
    monkeypatch.setattr(socket, "gethostname", lambda: "may-tram")


def test_a_demo_bound_to_every_address_answers_the_machines_addresses_and_names(lan):
    hosts = Binding.parse("0.0.0.0:8000").allowed_hosts(["127.0.0.1", "localhost"])
    assert hosts[:2] == ["127.0.0.1", "localhost"]
    assert {"192.168.1.23", "may-tram", "may-tram.local"} <= set(hosts) and "*" not in hosts


def test_a_demo_bound_to_every_address_prints_the_networks_address_first(lan):
    assert Binding.parse("0.0.0.0:8000").urls() == ["http://192.168.1.23:8000/", "http://127.0.0.1:8000/"]


def test_a_demo_bound_to_one_address_answers_that_address_only(lan):
    binding = Binding.parse("192.168.1.23:8831")
    assert binding.allowed_hosts(["127.0.0.1", "localhost"]) == ["127.0.0.1", "localhost", "192.168.1.23"]
    assert binding.urls() == ["http://192.168.1.23:8831/"]
    assert Binding.parse("8000").addrport == "127.0.0.1:8000"


@pytest.mark.parametrize("text", ["", "localhost", "0.0.0.0:", ":8000", "0.0.0.0:99999", "[::1:8000", "\x00:80"])
def test_an_address_that_is_not_one_is_refused_in_vietnamese(text):
    with pytest.raises(ValueError, match="không phải địa chỉ:cổng"):
        Binding.parse(text)


def test_the_settings_allow_no_other_host_than_configured():
    assert "*" not in settings.ALLOWED_HOSTS and "0.0.0.0" not in settings.ALLOWED_HOSTS


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """`thidua demo 0.0.0.0:PORT` in a folder of its own (its own SQLite file), running until the module ends."""
    folder = tmp_path_factory.mktemp("trinh-dien")
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "THIDUA_DATA_DIR", "THIDUA_AUDIT_JOURNAL"}}
    log = folder / "demo.log"
    with open(log, "w") as out:
        server = subprocess.Popen([sys.executable, "-m", "thidua", "demo", f"0.0.0.0:{port}", "--today", TODAY],
                                  cwd=folder, env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        for _ in range(600):
            if server.poll() is not None:
                pytest.fail(f"thidua demo stopped:\n{log.read_text()}")
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/dang-nhap/", timeout=2)
                break
            except (urllib.error.URLError, OSError):
                time.sleep(0.2)  # polling the start-up, not waiting for a page
        yield port, log.read_text(), env, folder
    finally:
        server.terminate()
        server.wait(timeout=10)


def status(port: int, host: str) -> int:
    request = urllib.request.Request(f"http://127.0.0.1:{port}/dang-nhap/", headers={"Host": host})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code


def test_a_phone_on_the_network_gets_in_by_the_machines_name_or_address(served):
    port = served[0]
    for host in [socket.gethostname(), *serving.machine_addresses()]:
        assert status(port, f"{host}:{port}") == 200, host
    assert status(port, f"evil.example:{port}") == 400


def test_the_demo_prints_how_to_point_thidua_at_its_database(served):
    port, printed, env, folder = served
    exports = dict(re.findall(r"export (DATABASE_URL|THIDUA_DATA_DIR)=(\S+)", printed))
    assert exports["DATABASE_URL"] == f"sqlite:///{folder / 'thidua-demo.sqlite3'}"
    assert f"http://127.0.0.1:{port}/" in printed
    for command, said in ((["audit", "verify"], "toàn vẹn"), (["simulated-today"], "Hôm nay: 27/02/2021 (mô phỏng)")):
        done = subprocess.run([sys.executable, "-m", "thidua", *command], env={**env, **exports}, cwd="/",
                              capture_output=True, text=True, timeout=120)
        assert done.returncode == 0 and said in done.stdout, done.stderr


def test_the_demo_is_refused_in_production_before_touching_anything(settings, tmp_path):
    settings.HTTPS = True
    with pytest.raises(CommandError, match="Đang chạy thật"):
        call_command("demo", "--no-serve")
