"""What a worker keeps alive act after act, and what the garbage collector's full passes then cost (issue 12).

    .venv/bin/python bench/bench_burst.py --keep …   # once: a national database and its plan.json
    DATABASE_URL=… .venv/bin/python bench/bench_survivors.py /tmp/thidua-bench-burst-XXXX [--acts 150]

On the database a burst kept (`bench_burst.py --keep`; DATABASE_URL as that run's, or its SQLite file by default),
in one process as a gunicorn worker would be: the leaders' pages read once by four leaders (PC06 and three
districts), what the process holds frozen as after a full read (`gc.freeze`); then ACTS acts, each a team's day sent
again through the API with other numbers (so that every act changes totals) and followed by three leader pages.
Every 50 acts: the objects still alive after a full pass (those the collector will scan at every full pass until a
new freeze) and that pass's time. At the end, the kinds of objects that stayed alive between the 50th act and the
last, most first. The acts are written into that database (each team's day of the burst changes).

Django's test client connects a receiver per request (`request_finished`), which leaves a `weakref.finalize`, its
`_Info`, a `method` and a weak reference alive per request: four objects a request that a worker does not keep.

Goal: what an act leaves alive is bounded by what the pages show (no superseded rows kept), so that a full pass
stays short however many acts the evening brings. Not a timed test: figures to compare before and after a change.
"""

import argparse
import collections
import gc
import json
import os
import random
import sys
import time
from pathlib import Path

import _common as common

CAMPAIGN_CODE = "toan-quoc-cuoi-ngay"
PAGES = ("/", f"/dot/{CAMPAIGN_CODE}/xep-hang/", f"/dot/{CAMPAIGN_CODE}/du-bao/", f"/dot/{CAMPAIGN_CODE}/bang-tin/",
         f"/dot/{CAMPAIGN_CODE}/bieu-do/")


def _kinds() -> collections.Counter:
    return collections.Counter(f"{type(o).__module__}.{type(o).__qualname__}" for o in gc.get_objects())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("workdir", type=Path, help="the working folder a burst kept (its plan.json)")
    parser.add_argument("--acts", type=int, default=150, help="acts to make (150)")
    args = parser.parse_args()
    plan = json.loads((args.workdir / "plan.json").read_text())
    os.environ.setdefault("DATABASE_URL", f"sqlite:///{args.workdir / 'bench.sqlite3'}")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "thidua.settings")
    os.environ.setdefault("ALLOWED_HOSTS", "testserver")
    os.environ["THIDUA_SIMULATED_TODAY"] = plan["day"]
    sys.path.insert(0, str(common.ROOT))
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.test import Client

    users = get_user_model().objects
    leaders = []
    for name in ["pc06-1", *users.filter(username__startswith="huyen-").order_by("username")
                 .values_list("username", flat=True)[:3]]:
        leaders.append(Client())
        leaders[-1].force_login(users.get(username=name))

    def fresh(client=None) -> Client:
        """Return a client for one request (with `client`'s session): the test client keeps a weak reference and its
        finalizer per request it made (its signals), which a worker does not — not to be counted here."""
        one = Client()
        if client is not None:
            one.cookies = client.cookies
        return one

    teams = [t for t, entry in plan["teams"].items() if not entry["web"]]
    shift = int(time.time()) % 997 + 50  # other numbers than any earlier run's: every act changes totals

    def act(i: int) -> None:
        entry = plan["teams"][teams[i % len(teams)]]
        body = json.dumps({"rows": [{"ngay": plan["day"], "ma_may": m, "ma_xa": c, "so_ho_so": n + shift + i}
                                    for m, c, n in entry["rows"]]})
        answer = fresh().post(plan["intake_url"], body, content_type="application/json",
                          HTTP_AUTHORIZATION=f"Bearer {entry['token']}")
        if answer.status_code != 200:
            raise SystemExit(f"act {i}: HTTP {answer.status_code} {answer.content[:200]!r}")

    for client in leaders:
        for page in PAGES:
            if fresh(client).get(page).status_code != 200:
                raise SystemExit(f"{page}: not 200")
    gc.collect()
    gc.freeze()
    rng = random.Random(2021)
    first, started = None, time.perf_counter()
    print("acts  alive after a full pass  full pass ms  elapsed s")
    for i in range(1, args.acts + 1):
        act(i)
        for _ in range(3):
            fresh(rng.choice(leaders)).get(rng.choice(PAGES))
        if i % 50 == 0:
            t0 = time.perf_counter()
            gc.collect()
            took = (time.perf_counter() - t0) * 1000
            print(f"{i:4d}  {len(gc.get_objects()):24,d}  {took:12.0f}  {time.perf_counter() - started:9.0f}",
                  flush=True)
            if first is None:
                first = (i, _kinds())
    if first is not None and args.acts > first[0]:
        grew = _kinds() - first[1]
        per_act = sum(grew.values()) / (args.acts - first[0])
        print(f"\nAlive since act {first[0]}: +{sum(grew.values()):,} objects ({per_act:,.0f} an act), by kind:")
        for kind, n in grew.most_common(15):
            print(f"  {n:9,d}  {kind}")
    print("\nAlive at the end (what a full pass scans, the frozen aside), by kind:")
    for kind, n in _kinds().most_common(12):
        print(f"  {n:9,d}  {kind}")


if __name__ == "__main__":
    main()
