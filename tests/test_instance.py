"""The instance's own secrets and files: created once in its data folder, never the published development key."""

import os
import stat
import subprocess
import sys
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import pytest

from thidua.lib.instance import instance_secret

REPO = Path(__file__).resolve().parents[1]
OLD_PUBLISHED_KEY = "thidua-insecure-development-key-set-SECRET_KEY-in-production"
SHOW = ("from django.conf import settings; import json; print(json.dumps({'key': settings.SECRET_KEY, "
        "'data': str(settings.DATA_DIR), 'uploads': str(settings.THIDUA_UPLOAD_DIR)}))")


def _settings(env_extra: dict, tmp_path: Path):
    env = {k: v for k, v in os.environ.items() if k not in {"SECRET_KEY", "THIDUA_DATA_DIR", "THIDUA_UPLOAD_DIR"}}
    env.update({"DATABASE_URL": f"sqlite:///{tmp_path / 'site.sqlite3'}", **env_extra})
    return subprocess.run([sys.executable, "-m", "thidua", "shell", "-c", SHOW], env=env, capture_output=True,
                          text=True, cwd=REPO, timeout=120)


def test_a_secret_is_created_once_and_readable_by_its_owner_only(tmp_path):
    path = tmp_path / "data" / "secret-key"
    first = instance_secret(path)
    assert len(first) >= 60
    assert instance_secret(path) == first
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert [p.name for p in path.parent.iterdir()] == ["secret-key"]  # nothing left aside


def test_processes_starting_together_share_one_secret(tmp_path):
    path = tmp_path / "secret-key"
    with ProcessPoolExecutor(max_workers=4) as pool:
        values = set(pool.map(instance_secret, [path] * 16))
    assert values == {path.read_text().strip()}


def test_an_empty_secret_file_is_an_error_not_an_empty_key(tmp_path):
    path = tmp_path / "secret-key"
    path.write_text("")
    with pytest.raises(ValueError, match="empty"):
        instance_secret(path)


def test_without_secret_key_an_instance_keeps_a_random_key_of_its_own(tmp_path):
    import json

    first = _settings({}, tmp_path)
    assert first.returncode == 0, first.stderr
    shown = json.loads(first.stdout.strip().splitlines()[-1])
    assert shown["key"] != OLD_PUBLISHED_KEY
    assert shown["data"] == str(tmp_path / "site-data")  # beside its SQLite file
    assert shown["uploads"] == str(tmp_path / "site-data" / "uploads")
    assert (tmp_path / "site-data" / "secret-key").read_text().strip() == shown["key"]
    again = json.loads(_settings({}, tmp_path).stdout.strip().splitlines()[-1])
    assert again["key"] == shown["key"]
    other = json.loads(_settings({"THIDUA_DATA_DIR": str(tmp_path / "other")}, tmp_path).stdout.splitlines()[-1])
    assert other["key"] != shown["key"]


def test_a_secret_key_can_be_required(tmp_path):
    done = _settings({"THIDUA_REQUIRE_SECRET_KEY": "true"}, tmp_path)
    assert done.returncode != 0
    assert "SECRET_KEY must be set" in done.stderr
