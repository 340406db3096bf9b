"""Today, as the whole product sees it: the real date, or the demo's simulated one.

A demo shows a campaign in the middle of its run (reports to send, days to verify) long after 2021: it sets a
simulated today, which every default date, home page, late mark, automatic step and act of the history then takes
as today; the time of day stays the real one. It comes from the environment variable THIDUA_SIMULATED_TODAY, or
else from the file `simulated-today` of the instance's data folder, which `thidua demo` writes and
`thidua simulated-today` moves. It is never honoured in production (THIDUA_HTTPS): there today is today.

Login protection and API tokens keep the real time: they protect the real system, not the demo's story.

While the demo writes the campaign's past (its acts dated at the days they tell of), `at(moment)` holds the clock at
one moment for the block it wraps, in that thread only.
"""

import datetime as dt
import os
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path

from django.conf import settings
from django.utils import timezone

FILE_NAME = "simulated-today"
_cache: dict[Path, tuple[int, dt.date | None]] = {}
_held: ContextVar[dt.datetime | None] = ContextVar("thidua_clock_held", default=None)


def _path() -> Path:
    return Path(settings.DATA_DIR) / FILE_NAME


def _from_file(path: Path) -> dt.date | None:
    try:
        stamp = path.stat().st_mtime_ns
    except FileNotFoundError:
        return None
    cached = _cache.get(path)
    if cached is None or cached[0] != stamp:
        text = path.read_text(encoding="ascii").strip()
        cached = (stamp, dt.date.fromisoformat(text) if text else None)
        _cache[path] = cached
    return cached[1]


def simulated() -> dt.date | None:
    """Return the simulated today, or None when the product runs on the real date."""
    if settings.HTTPS:
        return None
    raw = os.environ.get("THIDUA_SIMULATED_TODAY", "").strip()
    if raw:
        return dt.date.fromisoformat(raw)
    return _from_file(_path())


def today() -> dt.date:
    """Return today's date where the product runs (Asia/Ho_Chi_Minh), or the simulated one."""
    held = _held.get()
    if held is not None:
        return timezone.localdate(held)
    return simulated() or timezone.localdate()


def now() -> dt.datetime:
    """Return the current moment; on a simulated day, that day at the real time of day."""
    held = _held.get()
    if held is not None:
        return held
    moment = timezone.now()
    day = simulated()
    if day is None:
        return moment
    local = timezone.localtime(moment)
    return local.replace(year=day.year, month=day.month, day=day.day)


def simulated_set(day: dt.date | None) -> Path:
    """Write (or with None, remove) the simulated today of this instance; return the file."""
    path = _path()
    if day is None:
        path.unlink(missing_ok=True)
    else:
        path.parent.mkdir(parents=True, exist_ok=True)
        aside = path.with_name(f".{FILE_NAME}.{os.getpid()}")
        aside.write_text(day.isoformat() + "\n", encoding="ascii")
        aside.replace(path)  # atomic: a reader sees the old day or the new one
    _cache.pop(path, None)
    return path


@contextmanager
def at(moment: dt.datetime):
    """Hold now() at `moment` (an aware datetime) and today() at its local date inside the block."""
    if timezone.is_naive(moment):
        raise ValueError("clock.at needs an aware datetime")
    token = _held.set(moment)
    try:
        yield moment
    finally:
        _held.reset(token)
