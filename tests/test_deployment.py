"""Deployment: the health endpoint, the request log and its JSON lines, the database settings of production, and the
whole of deploy/ tried on this machine behind nginx (scripts/try-deployment)."""

import json
import logging
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import OperationalError

from thidua.lib.logs import JsonFormatter
from thidua.web import health

REPO = Path(__file__).resolve().parents[1]
HEALTH = "/suc-khoe/"


@pytest.mark.django_db
def test_health_answers_ok_to_anyone_without_session_or_cache(client):
    response = client.get(HEALTH)
    assert response.status_code == 200
    assert response.json() == {"trang_thai": "ok", "co_so_du_lieu": "ok"}
    assert "no-store" in response["Cache-Control"] and not response.cookies


@pytest.mark.django_db
def test_health_answers_503_in_vietnamese_when_the_database_does_not_answer(client, monkeypatch):
    def down():
        raise OperationalError("connection refused")

    monkeypatch.setattr(health, "chain_head", down)
    response = client.get(HEALTH)
    assert response.status_code == 503
    assert response.json()["thong_bao"] == health.DATABASE_DOWN
    assert "refused" not in response.content.decode()


@pytest.mark.django_db
def test_health_takes_no_form(client):
    assert client.post(HEALTH).status_code == 405


@pytest.mark.django_db
def test_each_request_is_logged_once_without_its_query(client, caplog):
    with caplog.at_level(logging.INFO, logger="thidua.request"):
        response = client.get("/dang-nhap/?next=/bi-mat/", HTTP_X_REQUEST_ID="abc-123")
    [record] = [r for r in caplog.records if r.name == "thidua.request"]
    assert response["X-Request-ID"] == record.request_id == "abc-123"
    assert (record.method, record.path, record.status, record.user) == ("GET", "/dang-nhap/", 200, "")
    assert record.duration_ms >= 0 and "bi-mat" not in JsonFormatter().format(record)


@pytest.mark.django_db
def test_the_log_names_the_signed_in_user(client, caplog, django_user_model):
    client.force_login(django_user_model.objects.create_user("canbo", password="x"))
    with caplog.at_level(logging.INFO, logger="thidua.request"):
        client.get("/tai-khoan/")
    assert [r.user for r in caplog.records if r.name == "thidua.request"] == ["canbo"]


@pytest.mark.parametrize("given", ["", "a b", "x" * 65, "<script>", "ab\u00e9"])
@pytest.mark.django_db
def test_an_unsafe_request_id_is_replaced(client, given):
    answered = client.get(HEALTH, HTTP_X_REQUEST_ID=given)["X-Request-ID"]
    assert answered != given and len(answered) == 32


def test_a_json_log_line_has_time_with_zone_level_logger_message_and_fields():
    record = logging.LogRecord("thidua.request", logging.INFO, __file__, 1, "GET %s", ("/",), None)
    record.status, record.request = 200, "<WSGIRequest: GET '/?mat_khau=1'>"
    entry = json.loads(JsonFormatter().format(record))
    assert entry["level"] == "INFO" and entry["logger"] == "thidua.request" and entry["message"] == "GET /"
    assert entry["status"] == 200 and "request" not in entry
    assert entry["time"][10] == "T" and entry["time"][-6] in "+-"
    assert entry["pid"] == os.getpid()  # which worker wrote it


def settings_of(**env) -> subprocess.CompletedProcess:
    """Import the settings in a new process under these variables; print the default database's settings."""
    code = ("import json, django; from django.conf import settings; django.setup(); "
            "print(json.dumps(settings.DATABASES['default'], default=str))")
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, timeout=60,
                          env=dict(os.environ, DJANGO_SETTINGS_MODULE="thidua.settings", PYTHONPATH=str(REPO), **env))


PG = "postgres://thidua@127.0.0.1:5432/thidua_deploy_settings"


def test_the_pool_keeps_postgresqls_options_and_checks_connections():
    done = settings_of(DATABASE_URL=PG, DB_POOL="true", DB_POOL_MIN_SIZE="1", DB_POOL_MAX_SIZE="3")
    database = json.loads(done.stdout)
    assert database["OPTIONS"]["pool"] == {"min_size": 1, "max_size": 3, "timeout": 5}
    assert "client_connection_check_interval" in database["OPTIONS"]["options"]
    assert database["CONN_HEALTH_CHECKS"] and database["CONN_MAX_AGE"] == 0


@pytest.mark.parametrize("env, says", [
    ({"DATABASE_URL": "sqlite:///x.sqlite3", "DB_POOL": "true"}, "needs PostgreSQL"),
    ({"DATABASE_URL": PG, "DB_POOL": "true", "DB_CONN_MAX_AGE": "600"}, "DB_CONN_MAX_AGE=0"),
    ({"DATABASE_URL": PG, "DB_POOL": "true", "DB_POOL_MIN_SIZE": "5", "DB_POOL_MAX_SIZE": "2"}, "DB_POOL_MIN_SIZE"),
])
def test_a_pool_that_cannot_work_stops_the_start(env, says):
    done = settings_of(**env)
    assert done.returncode != 0 and "ImproperlyConfigured" in done.stderr and says in done.stderr


def test_the_database_urls_own_options_are_kept():
    database = json.loads(settings_of(DATABASE_URL=PG + "?sslmode=verify-full&connect_timeout=3").stdout)
    assert database["OPTIONS"]["sslmode"] == "verify-full" and database["OPTIONS"]["connect_timeout"] == 3
    assert "client_connection_check_interval" in database["OPTIONS"]["options"]


def test_kept_connections_are_checked_before_use():
    assert json.loads(settings_of(DATABASE_URL=PG, DB_CONN_MAX_AGE="600").stdout)["CONN_HEALTH_CHECKS"]
    assert not json.loads(settings_of(DATABASE_URL=PG, DB_CONN_MAX_AGE="0").stdout)["CONN_HEALTH_CHECKS"]


MISSING = [tool for tool in ("nginx", "openssl", "curl") if not shutil.which(tool, path="/usr/sbin:/usr/bin:/bin")]


@pytest.mark.slow
@pytest.mark.skipif(bool(MISSING), reason=f"trying deploy/ needs {', '.join(MISSING)} (.ci/run installs nginx)")
def test_the_deployment_files_work_behind_nginx():
    """gunicorn with deploy/gunicorn.conf.py behind nginx with deploy/nginx-thidua.conf, over TLS on loopback."""
    done = subprocess.run([str(REPO / "scripts" / "try-deployment")], capture_output=True, text=True, timeout=300,
                          env=dict(os.environ, PYTHON=sys.executable, PYTHONPATH=str(REPO), DATABASE_URL=""))
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.count("ok: ") == 8 and "all checks passed" in done.stdout
