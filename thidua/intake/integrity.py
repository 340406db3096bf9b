"""The counts checked against the history: a count changed, added or removed directly in the database is found.

Every count has a known value in the history: a count entered on a page or through the API has its creation and
every correction recorded as changes (the last `after` is its value now); a count an import created is covered by
a digest of all the rows that import created, written into the import's act (its `summary`, which the act's hash
covers) — a million imported rows need no million changes. A count an import created and someone corrected later
starts from the `before` of its first correction.
"""

import hashlib

from django.db import connection

from thidua.audit.models import Change, ChangeSet

# The rows an act created, in the digest's order: ids and dates order the same on every database.
CREATED_ROWS = ("SELECT r.machine_id, r.day, r.commune_id, r.applications FROM intake_intakerecord r "
                "WHERE r.created_in_id = %s ORDER BY r.machine_id, r.day, r.commune_id")
ALL_ROWS = ("SELECT r.created_in_id, r.machine_id, r.day, r.commune_id, r.applications, m.code, c.code "
            "FROM intake_intakerecord r JOIN intake_machine m ON m.id = r.machine_id "
            "JOIN territory_adminunit c ON c.id = r.commune_id "
            "ORDER BY r.created_in_id, r.machine_id, r.day, r.commune_id")
DIGEST_KEY = "created_sha256"


class Digest:
    """A SHA-256 over rows (machine id, day, commune id, applications) given in the order above."""

    def __init__(self):
        self._hash = hashlib.sha256()
        self.rows = 0

    def add(self, machine_id, day, commune_id, applications) -> None:
        self._hash.update(f"{machine_id}|{str(day)[:10]}|{commune_id}|{applications}\n".encode())
        self.rows += 1

    @property
    def value(self) -> str:
        return f"{self.rows}:{self._hash.hexdigest()}"


def created_digest(changeset_id: int) -> str:
    """Return the digest of the counts an act created, as they are now (called by the import, before sealing)."""
    digest = Digest()
    with connection.cursor() as cursor:
        cursor.execute(CREATED_ROWS, [changeset_id])
        while batch := cursor.fetchmany(5000):
            for row in batch:
                digest.add(*row)
    return digest.value


def _changes_by_key():
    """Return each count key's first `before`, last `after`, and whether its creation is a recorded change."""
    first_before, last_after, created = {}, {}, set()
    for key, before, after in (Change.objects.filter(entity="thu_nhan").order_by("id")
                               .values_list("key", "before", "after").iterator(chunk_size=5000)):
        if key not in first_before:
            first_before[key] = before
            if before is None:
                created.add(key)
        last_after[key] = after
    return first_before, last_after, created


def intake_verify() -> str | None:
    """Check every count against the history; return the first discrepancy in Vietnamese, or None."""
    first_before, last_after, created = _changes_by_key()
    expected = {cs_id: summary.get("thu_nhan", {}).get(DIGEST_KEY) for cs_id, summary in
                ChangeSet.objects.filter(summary__has_key="thu_nhan").values_list("id", "summary")}
    digests: dict[int | None, Digest] = {}
    seen = set()
    with connection.cursor() as cursor:
        cursor.execute(ALL_ROWS)
        while batch := cursor.fetchmany(5000):
            for created_in, machine_id, day, commune_id, applications, machine, commune in batch:
                key = f"{str(day)[:10]}|{machine}|{commune}"
                seen.add(key)
                if key in last_after:
                    recorded = (last_after[key] or {}).get("so_ho_so")
                    if recorded != applications:
                        return (f"số hồ sơ ngày {key.replace('|', ', máy ', 1).replace('|', ', xã ')} là "
                                f"{applications}, nhật ký ghi {recorded}: đã bị sửa thẳng trong cơ sở dữ liệu")
                if key in created:
                    continue
                before = first_before.get(key)
                value = before.get("so_ho_so") if isinstance(before, dict) else applications
                digests.setdefault(created_in, Digest()).add(machine_id, day, commune_id, value)
    for key, after in last_after.items():
        if after is not None and key not in seen:
            return f"số liệu {key} có trong nhật ký nhưng không còn trong cơ sở dữ liệu: đã bị xóa thẳng"
    for act_id, digest in digests.items():
        if expected.get(act_id) != digest.value:
            return (f"các số liệu do mục #{act_id} của nhật ký tạo ra không khớp dấu vân tay đã ghi: có dòng bị "
                    "sửa, thêm hoặc xóa thẳng trong cơ sở dữ liệu")
    for act_id, value in expected.items():
        if value and act_id not in digests:
            return f"các số liệu do mục #{act_id} của nhật ký tạo ra không còn trong cơ sở dữ liệu: đã bị xóa thẳng"
    return None
