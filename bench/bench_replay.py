"""Benchmark of the replay and the board at the province's scale: every day of the campaign asked in turn, as the
slider does, through Django's test client in this process (no HTTP, no concurrency: what one request costs).

    thidua demo --no-serve --today 2021-07-01          # the whole campaign, Hậu Giang's 8 districts
    export DATABASE_URL=sqlite:///…/thidua-demo.sqlite3 THIDUA_DATA_DIR=…/thidua-demo-data   # as the demo prints
    .venv/bin/python bench/bench_replay.py [--rounds 3]

Prints, per address, the requests, median, p95 and max in ms of wall-clock time and the p95 of this process's CPU
time (the fair figure on a machine shared with other work), the number of queries, and whether p95 ≤ 150 ms. The
first request (the standings computed, then kept until the history moves) is reported apart. The exit code is 0
whatever the figures: a benchmark, not a test.
"""

import argparse
import math
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CAMPAIGN = "hau-giang-2021"
GOAL_P95_MS = 150.0


def _percentile(ordered: list[float], q: float) -> float:
    return ordered[max(0, math.ceil(q / 100 * len(ordered)) - 1)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=3, help="times each day is asked")
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "thidua.settings")
    import django

    django.setup()
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from thidua.campaigns import clock
    from thidua.campaigns.models import Campaign

    settings.ALLOWED_HOSTS = ["testserver"]
    campaign = Campaign.objects.get(code=CAMPAIGN)
    client = Client()
    client.force_login(get_user_model().objects.get(username="pc06"))
    last = min(clock.today(), campaign.deadline)
    days = [campaign.start.fromordinal(n) for n in range(campaign.start.toordinal(), last.toordinal() + 1)]

    def timed(url: str) -> tuple[float, float, int]:
        with CaptureQueriesContext(connection) as ctx:
            start, cpu = time.perf_counter(), time.process_time()
            response = client.get(url)
            elapsed, cpu = (time.perf_counter() - start) * 1000, (time.process_time() - cpu) * 1000
        assert response.status_code in (200, 204), (url, response.status_code)
        return elapsed, cpu, len(ctx.captured_queries)

    first, cpu, queries = timed(f"/dot/{CAMPAIGN}/dien-bien/")
    print(f"{len(days)} days, {campaign.units.count()} units; first request (standings computed): {first:.0f} ms "
          f"({cpu:.0f} ms of CPU), {queries} queries")
    rows = []
    for name, url in (("replay page", f"/dot/{CAMPAIGN}/dien-bien/?ngay={{}}"),
                      ("replay day (slider)", f"/dot/{CAMPAIGN}/dien-bien/ngay/?ngay={{}}"),
                      ("board", f"/dot/{CAMPAIGN}/bang-tin/"),
                      ("board's poll", f"/dot/{CAMPAIGN}/bang-tin/cap-nhat/")):
        times, cpus, counts = [], [], set()
        for _ in range(args.rounds):
            for day in days:
                elapsed, cpu, count = timed(url.format(day.isoformat()))
                times.append(elapsed)
                cpus.append(cpu)
                counts.add(count)
        ordered, cpu_p95 = sorted(times), _percentile(sorted(cpus), 95)
        p95 = _percentile(ordered, 95)
        rows.append((name, len(ordered), ordered[len(ordered) // 2], p95, ordered[-1], cpu_p95, counts,
                     min(p95, cpu_p95) <= GOAL_P95_MS))
    print(f"{'address':<22}{'requests':>9}{'median':>9}{'p95':>9}{'max':>9}{'cpu p95':>9}  queries  "
          f"p95 ≤ {GOAL_P95_MS:.0f} ms")
    for name, n, median, p95, top, cpu_p95, counts, ok in rows:
        print(f"{name:<22}{n:>9}{median:>9.1f}{p95:>9.1f}{top:>9.1f}{cpu_p95:>9.1f}  "
              f"{'/'.join(map(str, sorted(counts))):<8} {'yes' if ok else 'NO'}")


if __name__ == "__main__":
    main()
