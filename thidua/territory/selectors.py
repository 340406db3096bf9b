"""Reads of the territory: the fingerprint of each province's units, and the fingerprints the history sealed."""

import hashlib
from collections import defaultdict

from thidua.audit.models import ChangeSet

from .models import AdminUnit

# The key of a territory load's act summary (services.territory_load).
SEALED_KEY = "territory"


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
