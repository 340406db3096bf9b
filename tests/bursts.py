"""Requests released at once, each in a thread of its own: the races of tests/account_races.py and
tests/nomination_races.py (run as scripts, so this module sits beside them)."""

import contextlib
import json
import os
import subprocess
import sys
import threading
from pathlib import Path

from django.db import connections


def burst(requests) -> list:
    """Run each request (a function of no argument) in a thread of its own, all released at once; return answers."""
    start = threading.Barrier(len(requests))
    answers = [None] * len(requests)

    def run(i, request):
        try:
            start.wait()
            answers[i] = request()
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i, request)) for i, request in enumerate(requests)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return answers


@contextlib.contextmanager
def race_runner(runner: Path, folder: Path, suffix: str, **extra_env: str):
    """Yield a function running a scenario of a race script (`python RUNNER SCENARIO ARGS…` printing one JSON line)
    in a process of its own against a database of its own: a SQLite file in `folder`, or, when the suite runs on
    PostgreSQL, a database named after the suite's test database and `suffix`, created here and dropped afterwards."""
    from django.conf import settings

    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env |= {"THIDUA_DATA_DIR": str(folder / "data"), **extra_env}
    db = settings.DATABASES["default"]
    postgres = db["ENGINE"].endswith("postgresql")
    if postgres:
        import psycopg

        name = f"{db['NAME']}_{suffix}"
        admin = dict(host=db["HOST"] or "127.0.0.1", port=db["PORT"] or 5432, user=db["USER"], dbname="postgres",
                     autocommit=True)
        with psycopg.connect(**admin) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
            conn.execute(f"CREATE DATABASE {name}")
        env["DATABASE_URL"] = f"postgres://{db['USER']}@{admin['host']}:{admin['port']}/{name}"
    else:
        env["DATABASE_URL"] = f"sqlite:///{folder / 'races.sqlite3'}"

    def run(scenario: str, *args: int) -> dict:
        done = subprocess.run([sys.executable, str(runner), scenario, *map(str, args)], env=env, cwd=folder,
                              capture_output=True, text=True, timeout=600)
        assert done.returncode == 0, done.stderr[-3000:]
        return json.loads(done.stdout.strip().splitlines()[-1])

    try:
        yield run
    finally:
        if postgres:
            with psycopg.connect(**admin) as conn:
                conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
