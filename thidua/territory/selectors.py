"""Reads of the territory: the fingerprint of each province's units, the fingerprints the history sealed, and the
communes' coordinates from the package's dataset."""

import functools
import hashlib
import importlib.resources
import sqlite3
from collections import defaultdict
from contextlib import closing
from pathlib import Path

from thidua.audit.models import ChangeSet

from .models import AdminUnit, Structure

# The key of a territory load's act summary (services.territory_load).
SEALED_KEY = "territory"
# The dataset's table of each structure (package `vietnamadminunits`).
TABLES = {Structure.LEGACY: "admin_units_legacy", Structure.Y2025: "admin_units"}


def territory_digests(*, structure: str | None = None, provinces=None) -> dict[tuple[str, str], str]:
    """Return, for each (structure, province code), a SHA-256 over its units (level, code, name, kind, parent's
    code) in the order of their codes, as `rows:hex`; of every province, or of the structure's given ones."""
    units = AdminUnit.objects.order_by("structure", "province_code", "code")
    if structure is not None:
        units = units.filter(structure=structure)
    if provinces is not None:
        units = units.filter(province_code__in=provinces)
    hashes, rows = defaultdict(hashlib.sha256), defaultdict(int)
    for row in units.values_list("structure", "province_code", "level", "code", "name", "kind", "parent__code"):
        hashes[row[:2]].update("|".join(str(v or "") for v in row[2:]).encode() + b"\n")
        rows[row[:2]] += 1
    return {key: f"{rows[key]}:{h.hexdigest()}" for key, h in hashes.items()}


def territory_sealed() -> dict[tuple[str, str], tuple[int, str]]:
    """Return, for each (structure, province code) a territory load sealed, its last act and fingerprint."""
    sealed = {}
    for act_id, summary in (ChangeSet.objects.filter(seq__isnull=False, summary__has_key=SEALED_KEY)
                            .order_by("seq").values_list("id", "summary")):
        loaded = summary[SEALED_KEY] if isinstance(summary[SEALED_KEY], dict) else {}
        for province, digest in (loaded.get("provinces") or {}).items():
            sealed[loaded.get("structure"), province] = (act_id, digest)
    return sealed


@functools.cache
def _dataset_coordinates(structure: str) -> dict[str, tuple[float, float]]:
    """Read every commune's (latitude, longitude) of a structure from the package's SQLite file, once per process:
    the coordinates never change while the package's version does not, and the file is opened read-only."""
    path = Path(str(importlib.resources.files("vietnamadminunits") / "data" / "dataset.db"))
    with closing(sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True)) as db:
        rows = db.execute(f"SELECT wardCode, wardLat, wardLon FROM [{TABLES[structure]}] "
                          "WHERE wardCode != '' AND wardLat IS NOT NULL AND wardLon IS NOT NULL").fetchall()
    return {code: (lat, lon) for code, lat, lon in rows}


def commune_coordinates(structure: str, codes) -> dict[str, tuple[float, float]]:
    """Return {GSO code: (latitude, longitude)} of the communes of a structure among `codes` that the dataset places
    (no tiles and no download: the map of a closed network is drawn from these points alone)."""
    known = _dataset_coordinates(structure)
    return {code: known[code] for code in codes if code in known}
