"""gunicorn, the recommended server, answers what its own HTTP parser refuses (before Django sees the request) with
the site's Vietnamese page, not its English one; an address under its raised limit reaches Django's guards.

The server runs in a subprocess, as deployed (`-c python:thidua.web.serving`), and is spoken to over a raw socket:
an HTTP client library would refuse to send these requests."""

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from browser_support import free_port

pytestmark = pytest.mark.slow
SERVING = ("-c", "python:thidua.web.serving")  # as README's deployment runs it
# deploy/gunicorn.conf.py (docs/deployment.md) with threads: gunicorn's gthread worker, with the same refusals.
DEPLOYED = ("-c", str(Path(__file__).resolve().parents[1] / "deploy" / "gunicorn.conf.py"))
CONFIGS = {"sync": (SERVING, {}), "threads": (DEPLOYED, {"GUNICORN_THREADS": "2"})}


def site_env(folder: Path, **variables: str) -> dict:
    return {**os.environ, **variables, "DATABASE_URL": f"sqlite:///{folder / 'db.sqlite3'}",
            "THIDUA_DATA_DIR": str(folder)}


def gunicorn(config: tuple, env: dict, folder: Path, port: int, log) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "gunicorn", *config, "thidua.wsgi:application", "--bind",
                             f"127.0.0.1:{port}", "--workers", "1"], env=env, cwd=folder, stdout=log,
                            stderr=subprocess.STDOUT)


@pytest.fixture(scope="module", params=list(CONFIGS))
def server(request, tmp_path_factory):
    folder = tmp_path_factory.mktemp("gunicorn")
    port = free_port()
    config, variables = CONFIGS[request.param]
    env = site_env(folder, **variables)
    subprocess.run([sys.executable, "-m", "thidua", "migrate", "-v0"], env=env, cwd=folder, check=True)
    log = open(folder / "gunicorn.log", "w")  # noqa: SIM115 (closed below, after the server stops)
    proc = gunicorn(config, env, folder, port, log)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            time.sleep(0.2)  # polling for start-up
    else:
        proc.kill()
        pytest.fail(f"gunicorn did not start:\n{(folder / 'gunicorn.log').read_text()}")
    yield port
    proc.terminate()
    proc.wait(timeout=30)
    log.close()


def ask(port: int, request: bytes) -> tuple[int, dict[str, str], str]:
    """Send raw bytes; return the answer's status, headers and body."""
    with socket.create_connection(("127.0.0.1", port), timeout=30) as s:
        s.sendall(request)
        data = b""
        while chunk := s.recv(65536):
            data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    status_line, *lines = head.decode("latin-1").split("\r\n")
    headers = {k.lower(): v.strip() for k, _, v in (line.partition(":") for line in lines)}
    return int(status_line.split()[1]), headers, body.decode()


def get(path: str, *headers: str) -> bytes:
    return "\r\n".join([f"GET {path} HTTP/1.1", "Host: 127.0.0.1", "Connection: close", *headers, "", ""]).encode(
        "latin-1")


@pytest.mark.parametrize(("request_bytes", "status", "said"), [
    (get("/", "Cookie: sessionid=a\x01b"), 400, "tiêu đề hoặc cookie có ký tự không hợp lệ"),
    (get("/", "Cookie: a=\x00"), 400, "tiêu đề hoặc cookie có ký tự không hợp lệ"),
    (get("/", "X-Thu\x7f: 1"), 400, "tiêu đề hoặc cookie có ký tự không hợp lệ"),
    (get("/?q=" + "x" * 9000), 414, "Địa chỉ trang quá dài (hơn 8.190 byte)"),
    (get("/", "Cookie: a=" + "x" * 9000), 431, "Tiêu đề hoặc cookie của yêu cầu quá lớn"),
], ids=["control character in a cookie", "NUL in a cookie", "DEL in a header name", "address over 8190 bytes",
        "header over 8190 bytes"])
def test_what_gunicorn_refuses_is_answered_with_the_sites_vietnamese_page(server, request_bytes, status, said):
    code, headers, body = ask(server, request_bytes)
    assert code == status and said in body, body
    assert "Yêu cầu không hợp lệ" in body and "Bad Request" not in body and "Invalid" not in body
    assert headers["content-type"] == "text/html; charset=utf-8" and headers["x-frame-options"] == "DENY"
    assert headers["content-security-policy"]


def test_an_address_over_gunicorns_default_limit_reaches_djangos_guard(server):
    """gunicorn's default (4,094 bytes) would answer this "URI Too Long" in English."""
    code, _headers, body = ask(server, get("/nhat-ky/?khoa=" + "x" * 6000))
    assert code == 400 and "tham số «khoa» của địa chỉ dài 6.000 ký tự" in body


def test_the_proxys_own_error_page_that_readme_names_is_vietnamese():
    """README's deployment has nginx answer what it refuses itself with this page (its English ones otherwise)."""
    repo = Path(__file__).resolve().parent.parent
    page = (repo / "thidua" / "web" / "static" / "thidua" / "loi.html").read_text()
    assert '<html lang="vi">' in page and "Yêu cầu không hợp lệ" in page and "/static/thidua/app.css" in page
    assert "/static/thidua/loi.html" in (repo / "README.md").read_text()
    assert "error_page 400 413 414 494 /static/thidua/loi.html;" in (repo / "deploy" / "nginx-thidua.conf").read_text()


@pytest.mark.parametrize("config", list(CONFIGS))
def test_a_database_behind_the_code_stops_the_start_with_a_clear_message(config, tmp_path):
    """An upgrade installed without `thidua migrate`: gunicorn does not start, and says why and what to run."""
    for folder, back_to in ((tmp_path / "empty", None), (tmp_path / "behind", ("intake", "0008"))):
        folder.mkdir()
        env = site_env(folder, **CONFIGS[config][1])
        if back_to:  # the last migration of intake not run yet
            for target in ((), back_to):
                subprocess.run([sys.executable, "-m", "thidua", "migrate", *target, "-v0"], env=env, cwd=folder,
                               check=True)
        with open(folder / "gunicorn.log", "w") as log:
            proc = gunicorn(CONFIGS[config][0], env, folder, free_port(), log)
            try:
                code = proc.wait(timeout=60)
            finally:
                proc.kill()
        said = (folder / "gunicorn.log").read_text()
        assert code != 0, said
        assert "Cơ sở dữ liệu chưa được cập nhật cho phiên bản này" in said
        assert "thidua migrate" in said
        if back_to:
            assert "còn 1 bước cập nhật cấu trúc chưa chạy (đầu tiên: intake.0009_commune_day_totals)" in said


def test_the_start_check_leaves_no_pool_for_the_workers_to_share():
    """With DB_POOL=true the start check's connection comes from a pool: the master closes it before forking, so
    that no worker inherits its connections (the maintenance database answers: its migrations are all pending)."""
    import psycopg

    try:
        psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres", connect_timeout=3).close()
    except psycopg.OperationalError:
        pytest.skip("PostgreSQL does not answer on 127.0.0.1:5432")
    code = ("from thidua.web.serving import unapplied_migrations; pending = unapplied_migrations(); "
            "from django.db.backends.postgresql.base import DatabaseWrapper; "
            "print(len(pending) > 0, len(DatabaseWrapper._connection_pools))")
    env = {**os.environ, "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/postgres", "DB_POOL": "true",
           "DB_CONN_MAX_AGE": "0"}
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60,
                          cwd=Path(__file__).resolve().parents[1])
    assert done.stdout.split() == ["True", "0"], done.stderr
