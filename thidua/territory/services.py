"""Loading the territory from the `vietnamadminunits` package (the official dataset, no hand-typed lists)."""

from dataclasses import dataclass

from django.db import transaction

from thidua.audit.chain import changeset_seal
from thidua.audit.models import Source
from thidua.audit.services import changeset_open

from .models import AdminUnit, Level, Structure
from .selectors import SEALED_KEY, TABLES, territory_digests, territory_sealed


class TerritoryError(Exception):
    pass


@dataclass(frozen=True)
class LoadSummary:
    created: int
    updated: int
    unchanged: int


def _dataset_rows(structure: str, province: str | None) -> list[dict]:
    """Return the package's rows for one province (or all), one row per commune."""
    from vietnamadminunits.database.main import query

    table = TABLES[structure]
    columns = "provinceCode, province"
    if structure == Structure.LEGACY:
        columns += ", districtCode, district, districtType"
    columns += ", wardCode, ward, wardType"
    sql = f"SELECT DISTINCT {columns} FROM [{table}]"
    if province is not None:
        if not province.isdigit():
            raise TerritoryError(f"Mã tỉnh «{province}» không hợp lệ: mã tỉnh là chữ số (ví dụ 93).")
        sql += f" WHERE provinceCode = '{province}'"
    return query(sql)


def _wanted_units(structure: str, rows: list[dict]) -> list[dict]:
    """Turn the dataset's flat rows into province, district and commune records, parents first."""
    wanted: dict[str, dict] = {}
    for row in rows:
        p = row["provinceCode"]
        wanted.setdefault(p, {"level": Level.PROVINCE, "code": p, "name": row["province"], "kind": "",
                              "parent": None, "province_code": p})
        parent = p
        if structure == Structure.LEGACY:
            d = row["districtCode"]
            wanted.setdefault(d, {"level": Level.DISTRICT, "code": d, "name": row["district"],
                                  "kind": row["districtType"] or "", "parent": p, "province_code": p})
            parent = d
        # A few island districts have no communes: their row carries an empty ward.
        if row["wardCode"]:
            wanted.setdefault(row["wardCode"], {"level": Level.COMMUNE, "code": row["wardCode"], "name": row["ward"],
                                                "kind": row["wardType"] or "", "parent": parent, "province_code": p})
    order = {Level.PROVINCE: 0, Level.DISTRICT: 1, Level.COMMUNE: 2}
    return sorted(wanted.values(), key=lambda u: (order[u["level"]], u["code"]))


def _seal(*, structure: str, provinces: set[str], actor: str, source: str, created: int, updated: int) -> None:
    """Record in the history the fingerprint of the provinces just loaded, unless it is the one already sealed: the
    units now are the package's, and `thidua audit verify` finds any later change made in the database."""
    now = territory_digests(structure=structure, provinces=provinces)
    sealed = territory_sealed()
    if all(sealed.get(key, (None, None))[1] == digest for key, digest in now.items()):
        return
    changeset = changeset_open(campaign=None, actor=actor, source=source, reason="load-territory")
    changeset.summary = {SEALED_KEY: {"structure": structure, "created": created, "updated": updated,
                                      "provinces": {province: digest for (_, province), digest in sorted(now.items())}}}
    changeset.save(update_fields=["summary"])
    changeset_seal(changeset)


@transaction.atomic
def territory_load(*, province: str, structure: str = Structure.LEGACY, actor: str,
                   source: str = Source.CLI) -> LoadSummary:
    """Create or update the units of one province (or `all`) in one structure, as the package gives them, and seal
    their fingerprint in the history; running it again changes nothing."""
    if structure not in TABLES:
        raise TerritoryError(f"Cấu trúc «{structure}» không có: dùng legacy hoặc 2025.")
    rows = _dataset_rows(structure, None if province == "all" else province)
    if not rows:
        label = Structure(structure).label
        raise TerritoryError(f"Không có tỉnh mã «{province}» trong cấu trúc {structure} ({label}).")
    wanted = _wanted_units(structure, rows)
    existing = {u.code: u for u in AdminUnit.objects.filter(structure=structure, code__in=[w["code"] for w in wanted])}
    created = updated = unchanged = 0
    for level in (Level.PROVINCE, Level.DISTRICT, Level.COMMUNE):
        ids = dict(AdminUnit.objects.filter(structure=structure).exclude(level=Level.COMMUNE).values_list("code", "id"))
        new, changed = [], []
        for w in (w for w in wanted if w["level"] == level):
            parent_id = ids.get(w["parent"]) if w["parent"] else None
            unit = existing.get(w["code"])
            if unit is None:
                new.append(AdminUnit(structure=structure, level=level, code=w["code"], name=w["name"], kind=w["kind"],
                                     parent_id=parent_id, province_code=w["province_code"]))
            elif (unit.name, unit.kind, unit.parent_id, unit.level) != (w["name"], w["kind"], parent_id, level):
                unit.name, unit.kind, unit.parent_id, unit.level = w["name"], w["kind"], parent_id, level
                changed.append(unit)
            else:
                unchanged += 1
        AdminUnit.objects.bulk_create(new, batch_size=500)
        AdminUnit.objects.bulk_update(changed, ["name", "kind", "parent", "level"], batch_size=500)
        created += len(new)
        updated += len(changed)
    _seal(structure=structure, provinces={w["province_code"] for w in wanted}, actor=actor, source=source,
          created=created, updated=updated)
    return LoadSummary(created=created, updated=updated, unchanged=unchanged)
