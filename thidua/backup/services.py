"""Backup and restore: one portable file holding a consistent snapshot of the whole database and the instance's
stored files, restored into an empty database of either kind (SQLite or PostgreSQL).

The file is a zip: `manifest.json` (format, the Django migrations applied, and for each member its rows, size and
SHA-256), `manifest.hmac` (the manifest authenticated with the history's key, when there is one), one JSON-lines
member per table in the order of their references (`data/NNN-app.model.jsonl`: a row per line, its columns in the
manifest's order, dates and moments as ISO text), and the stored files under `files/`. Every table is read in one
read transaction, while the site goes on writing: REPEATABLE READ on PostgreSQL, a read transaction on SQLite in WAL
mode, each one snapshot of the moment it began. Rows are streamed both ways: memory stays bounded whatever the size.

Left out: the instance's secrets (`secret-key`, the history's key: they must never travel with the data), the
uploads waiting for a confirmation, the sessions (everyone signs in again), and the tables `migrate` fills itself
(content types, permissions: a reference to one is written by its natural key).
"""

import base64
import contextlib
import datetime as dt
import hashlib
import hmac
import io
import json
import os
import zipfile
import zlib
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from django.apps import apps
from django.conf import settings
from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
from django.core.management.color import no_style
from django.db import DatabaseError, connection, transaction
from django.db.migrations.recorder import MigrationRecorder
from django.db.models import Model

from thidua.audit.journal import journal_path, journal_restart
from thidua.audit.keys import audit_key, key_place
from thidua.audit.models import ChainHead

FORMAT = "thidua-backup"
VERSION = 1
MANIFEST = "manifest.json"
MANIFEST_MAC = "manifest.hmac"
DATA_PREFIX = "data/"
FILES_PREFIX = "files/"
READ_CHUNK = 2000  # rows fetched at a time
WRITE_CHUNK = 1 << 20  # bytes buffered before they go into the zip
INSERT_BATCH = 5000  # rows inserted at a time
COPY_BLOCK = 1 << 20
# Not written into a backup: what `migrate` fills, the sessions, and what the database derives by itself — the team-day
# and commune-day totals and the totals' epoch are written by triggers as the intake, the units and the machines are
# restored.
LEFT_OUT = {"contenttypes.contenttype", "auth.permission", "sessions.session", "intake.teamdaytotal",
            "intake.communedaytotal", "intake.totalsepoch"}
PASS_THROUGH = {"AutoField", "BigAutoField", "SmallAutoField", "IntegerField", "BigIntegerField", "SmallIntegerField",
                "PositiveIntegerField", "PositiveBigIntegerField", "PositiveSmallIntegerField", "CharField",
                "TextField", "SlugField", "EmailField", "URLField", "BooleanField", "ForeignKey", "OneToOneField",
                "FloatField"}


class BackupError(Exception):
    """A backup or restore refused; the message says why and what to do, in Vietnamese."""


# --- what is backed up, in which order ------------------------------------------------------------------------

def backed_up_models() -> list[type[Model]]:
    """Return every table's model, each after those it refers to (the order of restoring; cycles aside, which the
    deferred constraints of both databases accept within the restore's one transaction)."""
    models = {m._meta.label_lower: m for m in apps.get_models(include_auto_created=True)
              if m._meta.label_lower not in LEFT_OUT and m._meta.managed and not m._meta.proxy}
    needs = {label: {f.related_model._meta.label_lower for f in m._meta.concrete_fields
                     if f.is_relation and f.related_model._meta.label_lower in models} - {label}
             for label, m in models.items()}
    ordered: list[type[Model]] = []
    while needs:
        ready = sorted(label for label, wanted in needs.items() if not wanted) or [sorted(needs)[0]]
        for label in ready:
            ordered.append(models[label])
            del needs[label]
        for wanted in needs.values():
            wanted.difference_update(ready)
    return ordered


def _natural_keys() -> dict[type[Model], dict]:
    """Return, for the tables `migrate` fills, each row's id → natural key."""
    return {ContentType: {pk: [a, m] for pk, a, m in ContentType.objects.values_list("id", "app_label", "model")},
            Permission: {pk: [a, m, c] for pk, a, m, c in Permission.objects.values_list(
                "id", "content_type__app_label", "content_type__model", "codename")}}


def _encoder(f, natural: dict):
    """Return the function writing a column's value as JSON (None: as it is)."""
    if f.is_relation and f.related_model in natural:
        keys = natural[f.related_model]
        return lambda v: None if v is None else keys[v]
    kind = f.get_internal_type()
    if kind in PASS_THROUGH or kind == "JSONField":
        return None
    if kind in {"DateField", "DateTimeField", "TimeField"}:
        return lambda v: None if v is None else v.isoformat()
    if kind == "BinaryField":
        return lambda v: None if v is None else base64.b64encode(bytes(v)).decode()
    if kind == "DurationField":
        return lambda v: None if v is None else v // dt.timedelta(microseconds=1)
    return lambda v: None if v is None else str(v)  # decimals, UUIDs, addresses: their text


def _decoder(f, natural: dict):
    """Return the function turning a column's JSON value into what the database takes (None: as it is)."""
    if f.is_relation and f.related_model in natural:
        ids = {tuple(k): pk for pk, k in natural[f.related_model].items()}

        def by_natural_key(v):
            if v is None:
                return None
            if tuple(v) not in ids:
                raise BackupError(f"bảng {f.model._meta.db_table} tham chiếu «{'.'.join(v)}», không có trong cơ sở dữ "
                                  "liệu đích: hai bên không cùng phiên bản")
            return ids[tuple(v)]
        return by_natural_key
    kind = f.get_internal_type()
    if kind in PASS_THROUGH:
        return None
    parse = {"DateField": dt.date.fromisoformat, "DateTimeField": dt.datetime.fromisoformat,
             "TimeField": dt.time.fromisoformat, "DecimalField": Decimal,
             "BinaryField": base64.b64decode, "DurationField": lambda v: dt.timedelta(microseconds=v)}.get(kind)
    if parse is None:
        return lambda v: f.get_db_prep_save(f.to_python(v) if kind != "JSONField" else v, connection)
    # What get_db_prep_save does for these, with the adapter looked up once rather than per row.
    ops = connection.ops
    adapt = {"DateField": ops.adapt_datefield_value, "DateTimeField": ops.adapt_datetimefield_value,
             "TimeField": ops.adapt_timefield_value}.get(kind)
    if adapt is None:
        return lambda v: None if v is None else f.get_db_prep_save(parse(v), connection)
    return lambda v: None if v is None else adapt(parse(v))


def _applied_migrations() -> list[str]:
    return sorted(f"{app}.{name}" for app, name in MigrationRecorder(connection).applied_migrations())


def _is_secret_or_transient(path: Path) -> bool:
    """Say whether a file of the data folder stays out of backups: the secrets, the uploads waiting, and the journal
    of heads (and the journals kept beside it), which is this server's witness, not data: a restore starts its own."""
    data = Path(settings.DATA_DIR).resolve()
    path = path.resolve()
    excluded = [data / "secret-key", Path(settings.THIDUA_AUDIT_KEY_FILE).resolve(),
                Path(settings.THIDUA_UPLOAD_DIR).resolve()]
    journal = journal_path().resolve()
    return (path.name.startswith(".") or any(path == e or e in path.parents for e in excluded) or path == journal
            or (path.parent == journal.parent and path.name.startswith(f"{journal.name}.")))


def stored_files() -> list[tuple[str, Path]]:
    """Return the instance's stored files (relative name, path), secrets and waiting uploads left out."""
    root = Path(settings.DATA_DIR)
    if not root.is_dir():
        return []
    return [(p.relative_to(root).as_posix(), p) for p in sorted(root.rglob("*"))
            if p.is_file() and not _is_secret_or_transient(p)]


# --- backup ---------------------------------------------------------------------------------------------------

@contextlib.contextmanager
def _snapshot():
    """Read every table as of one moment while others write: one read-only transaction for the whole backup."""
    if connection.vendor == "postgresql":
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            yield
        return
    connection.ensure_connection()
    with connection.cursor() as cursor:
        # A deferred transaction takes no lock; in WAL mode its snapshot is taken at its first read: now.
        cursor.execute("BEGIN DEFERRED")
        cursor.execute("SELECT COUNT(*) FROM django_migrations")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("ROLLBACK")


class _Member:
    """A zip member written in blocks, with its SHA-256 and size counted on the way."""

    def __init__(self, archive: zipfile.ZipFile, name: str):
        self.name, self.stream = name, archive.open(name, "w", force_zip64=True)
        self.digest, self.size, self.buffer = hashlib.sha256(), 0, bytearray()

    def write(self, data: bytes) -> None:
        self.buffer += data
        if len(self.buffer) >= WRITE_CHUNK:
            self.flush()

    def flush(self) -> None:
        self.digest.update(self.buffer)
        self.stream.write(self.buffer)
        self.size += len(self.buffer)
        self.buffer.clear()

    def close(self) -> dict:
        self.flush()
        self.stream.close()
        return {"member": self.name, "bytes": self.size, "sha256": self.digest.hexdigest()}


@dataclass
class BackupSummary:
    path: Path
    bytes: int
    rows: dict[str, int]
    files: int
    anchor: str
    authenticated: bool


def _manifest_mac(key: bytes, manifest: bytes) -> str:
    return hmac.new(key, b"thidua-backup-manifest\n" + manifest, hashlib.sha256).hexdigest()


def backup_write(*, path: str | Path) -> BackupSummary:
    """Write a consistent snapshot of the database and the stored files to one file (written aside, then moved in
    place: an interrupted backup never looks complete)."""
    path = Path(path)
    partial = path.with_name(f".{path.name}.partial")
    natural = _natural_keys()
    tables, rows = [], {}
    try:
        with zipfile.ZipFile(partial, "w", compression=zipfile.ZIP_DEFLATED) as archive, _snapshot():
            migrations = _applied_migrations()
            head = ChainHead.objects.filter(pk=1).values_list("last_seq", "last_hash").first() or (0, "0" * 64)
            for number, model in enumerate(backed_up_models(), start=1):
                fields = model._meta.concrete_fields
                encoders = [(i, e) for i, e in enumerate(_encoder(f, natural) for f in fields) if e is not None]
                member = _Member(archive, f"{DATA_PREFIX}{number:03d}-{model._meta.label_lower}.jsonl")
                count = 0
                for row in (model._base_manager.order_by("pk").values_list(*[f.attname for f in fields])
                            .iterator(chunk_size=READ_CHUNK)):
                    if encoders:
                        row = list(row)
                        for i, encode in encoders:
                            row[i] = encode(row[i])
                    member.write(json.dumps(row, ensure_ascii=False, separators=(",", ":")).encode() + b"\n")
                    count += 1
                rows[model._meta.label_lower] = count
                tables.append({"model": model._meta.label_lower, "table": model._meta.db_table,
                               "fields": [f.column for f in fields], "rows": count, **member.close()})
            files = []
            for name, source in stored_files():
                member = _Member(archive, FILES_PREFIX + name)
                with open(source, "rb") as fh:
                    while block := fh.read(COPY_BLOCK):
                        member.write(block)
                files.append({"path": name, **member.close()})
            manifest = json.dumps({
                "format": FORMAT, "version": VERSION, "created_at": dt.datetime.now(dt.UTC).isoformat(),
                "database": connection.vendor, "migrations": migrations, "anchor": f"{head[0]}:{head[1]}",
                "tables": tables, "files": files}, ensure_ascii=False, indent=1).encode()
            archive.writestr(MANIFEST, manifest)
            key = audit_key()
            if key is not None:
                archive.writestr(MANIFEST_MAC, _manifest_mac(key, manifest))
        os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)
    return BackupSummary(path, path.stat().st_size, rows, len(files), f"{head[0]}:{head[1]}", key is not None)


# --- restore --------------------------------------------------------------------------------------------------

@dataclass
class RestoreSummary:
    rows: dict[str, int] = field(default_factory=dict)
    files: int = 0
    anchor: str = ""
    authenticated: bool = False
    created_at: str = ""
    journal_kept: Path | None = None  # the journal of heads found in place, kept aside (it was another database's)


def _read_manifest(archive: zipfile.ZipFile, *, without_key: bool) -> tuple[dict, bool]:
    """Return the manifest, checked: its form, and its MAC when the history's key is at hand."""
    names = set(archive.namelist())
    if MANIFEST not in names:
        raise BackupError("tệp không phải bản sao lưu của thidua (thiếu manifest.json)")
    raw = archive.read(MANIFEST)
    try:
        manifest = json.loads(raw)
    except ValueError as exc:
        raise BackupError("manifest.json của bản sao lưu không đọc được: tệp bị hỏng") from exc
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise BackupError("tệp không phải bản sao lưu của thidua")
    if manifest.get("version") != VERSION:
        raise BackupError(f"bản sao lưu dạng {manifest.get('version')}, phiên bản này đọc dạng {VERSION}")
    key = audit_key()
    if key is None:
        if not without_key:
            raise BackupError(f"không có khóa nhật ký ({key_place()}) để xác thực bản sao lưu và nhật ký của nó: đặt "
                              "khóa đã dùng ở máy chủ gốc (giữ riêng, không nằm trong bản sao lưu) rồi chạy lại; nếu "
                              "khóa đã mất, thêm --without-key (nhật ký sẽ không xác thực được)")
        return manifest, False
    stored = archive.read(MANIFEST_MAC).decode(errors="replace").strip() if MANIFEST_MAC in names else ""
    if not hmac.compare_digest(stored, _manifest_mac(key, raw)):
        raise BackupError("mã xác thực của bản sao lưu không khớp với khóa nhật ký: tệp đã bị sửa, hoặc được sao lưu "
                          f"với khóa khác ({key_place()})")
    return manifest, True


def _check_members(archive: zipfile.ZipFile, manifest: dict) -> None:
    """Read every member once: its SHA-256 and rows must be the manifest's (zip checks each one's CRC too)."""
    tables, files = manifest.get("tables", []), manifest.get("files", [])
    listed = {t["member"] for t in tables} | {f["member"] for f in files} | {MANIFEST, MANIFEST_MAC}
    extra = sorted(set(archive.namelist()) - listed)
    if extra:
        raise BackupError(f"bản sao lưu có phần «{extra[0]}» không ghi trong manifest: tệp đã bị sửa")
    for entry in [*tables, *files]:
        digest, size, lines = hashlib.sha256(), 0, 0
        try:
            with archive.open(entry["member"]) as member:
                while block := member.read(COPY_BLOCK):
                    digest.update(block)
                    size += len(block)
                    lines += block.count(b"\n")
        except KeyError as exc:
            raise BackupError(f"bản sao lưu thiếu phần «{entry['member']}»: tệp bị hỏng hoặc bị cắt") from exc
        if digest.hexdigest() != entry["sha256"] or size != entry["bytes"]:
            raise BackupError(f"phần «{entry['member']}» của bản sao lưu không khớp mã SHA-256 trong manifest: tệp bị "
                              "hỏng hoặc bị sửa")
        if "rows" in entry and lines != entry["rows"]:
            raise BackupError(f"phần «{entry['member']}» có {lines} dòng, manifest ghi {entry['rows']}: tệp bị sửa")


def _check_target(manifest: dict) -> list[tuple[type[Model], dict]]:
    """Check that this database can take the backup (same migrations, same columns); return its tables."""
    if not MigrationRecorder(connection).has_table():
        raise BackupError("cơ sở dữ liệu đích chưa được tạo bảng: chạy `thidua migrate` trước rồi khôi phục")
    ours, theirs = set(_applied_migrations()), set(manifest.get("migrations", []))
    if ours != theirs:
        missing, extra = sorted(theirs - ours), sorted(ours - theirs)
        detail = (f"bản sao lưu có {missing[0]} mà cơ sở dữ liệu đích chưa có" if missing
                  else f"cơ sở dữ liệu đích có {extra[0]} mà bản sao lưu chưa có")
        raise BackupError(f"bản sao lưu không cùng trạng thái cơ sở dữ liệu (migration) với phiên bản này: {detail}; "
                          "khôi phục bằng đúng phiên bản thidua đã tạo bản sao lưu, rồi chạy `thidua migrate`")
    tables = []
    for entry in manifest["tables"]:
        try:
            model = apps.get_model(entry["model"])
        except (LookupError, ValueError) as exc:
            raise BackupError(f"bảng «{entry.get('model')}» của bản sao lưu không có trong phiên bản này") from exc
        if [f.column for f in model._meta.concrete_fields] != entry["fields"]:
            raise BackupError(f"các cột của bảng {model._meta.db_table} trong bản sao lưu khác phiên bản này")
        tables.append((model, entry))
    return tables


def _check_empty(tables: list[tuple[type[Model], dict]]) -> None:
    for model, _entry in tables:
        qs = model._base_manager.all()
        if model is ChainHead:
            qs = qs.exclude(last_seq=0)  # the row the migrations put there, at the chain's start, is replaced
        if qs.exists():
            raise BackupError(f"cơ sở dữ liệu đích không trống (bảng {model._meta.db_table} đã có dữ liệu): chỉ khôi "
                              "phục vào một cơ sở dữ liệu mới, trống, đã chạy `thidua migrate`")


def _check_files(manifest: dict) -> None:
    root = Path(settings.DATA_DIR)
    for entry in manifest.get("files", []):
        target = (root / entry["path"]).resolve()
        if root.resolve() not in target.parents or _is_secret_or_transient(target):
            raise BackupError(f"tệp «{entry['path']}» của bản sao lưu nằm ngoài thư mục dữ liệu: tệp đã bị sửa")
        if target.exists():
            raise BackupError(f"thư mục dữ liệu đích đã có tệp «{entry['path']}»: khôi phục vào một phiên bản mới")


def _rows(lines, decoders):
    for line in lines:
        row = json.loads(line)
        for i, decode in decoders:
            row[i] = decode(row[i])
        yield row


def _insert(model: type[Model], lines, natural: dict) -> int:
    """Insert a table's rows as they come: one COPY on PostgreSQL (several times faster than INSERTs for millions
    of rows), INSERTs in batches on SQLite."""
    fields = model._meta.concrete_fields
    decoders = [(i, d) for i, d in enumerate(_decoder(f, natural) for f in fields) if d is not None]
    qn = connection.ops.quote_name
    columns = f"{qn(model._meta.db_table)} ({', '.join(qn(f.column) for f in fields)})"
    count = 0
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY {columns} FROM STDIN") as stream:
                for row in _rows(lines, decoders):
                    stream.write_row(row)
                    count += 1
            return count
        sql = f"INSERT INTO {columns} VALUES ({', '.join(['%s'] * len(fields))})"
        batch = []
        for row in _rows(lines, decoders):
            batch.append(row)
            if len(batch) >= INSERT_BATCH:
                cursor.executemany(sql, batch)
                count, batch = count + len(batch), []
        cursor.executemany(sql, batch)
    return count + len(batch)


def backup_restore(*, path: str | Path, without_key: bool = False) -> RestoreSummary:
    """Restore a backup into this empty, migrated database and its data folder: all of it or, refused, nothing."""
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise BackupError("tệp không mở được như một bản sao lưu (không phải tệp zip, hoặc bị hỏng)") from exc
    with archive:
        try:
            manifest, authenticated = _read_manifest(archive, without_key=without_key)
            _check_members(archive, manifest)
        except (zipfile.BadZipFile, zlib.error, EOFError, KeyError, TypeError) as exc:
            raise BackupError("bản sao lưu bị hỏng (một phần không giải nén được hoặc sai mã kiểm tra)") from exc
        summary = RestoreSummary(anchor=manifest.get("anchor", ""), authenticated=authenticated,
                                 created_at=manifest.get("created_at", ""))
        natural = _natural_keys()
        try:
            with transaction.atomic():
                tables = _check_target(manifest)
                _check_files(manifest)
                _check_empty(tables)
                ChainHead.objects.all().delete()  # the migrations' genesis row; the backup holds the real one
                for model, entry in tables:
                    with archive.open(entry["member"]) as member:
                        summary.rows[model._meta.label_lower] = _insert(
                            model, io.TextIOWrapper(member, encoding="utf-8"), natural)
                if connection.vendor == "postgresql":
                    with connection.cursor() as cursor:
                        for sql in connection.ops.sequence_reset_sql(no_style(), [m for m, _ in tables]):
                            cursor.execute(sql)
        except DatabaseError as exc:
            raise BackupError("cơ sở dữ liệu từ chối dữ liệu của bản sao lưu (các bảng không nhất quán với nhau, hoặc "
                              "giá trị không hợp lệ): không có gì được ghi") from exc
        root = Path(settings.DATA_DIR)
        for entry in manifest.get("files", []):
            target = root / entry["path"]
            target.parent.mkdir(parents=True, exist_ok=True)
            with archive.open(entry["member"]) as member, open(target, "wb") as out:
                while block := member.read(COPY_BLOCK):
                    out.write(block)
            summary.files += 1
    summary.journal_kept = journal_restart()
    return summary


def restore_tidy() -> None:
    """After a restore (its transaction committed): the planner's statistics read afresh for every table, and on
    PostgreSQL the day totals rewritten compactly — their triggers updated them once per restored intake row, which
    leaves a national campaign's few thousand commune-day totals spread over a million dead versions (213 MB for
    7,575 rows, measured) until autovacuum comes by. The restored database is not in use yet: the rewrite's lock
    waits for no one."""
    from thidua.intake.models import CommuneDayTotal, TeamDayTotal

    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            tables = ", ".join(connection.ops.quote_name(m._meta.db_table) for m in (TeamDayTotal, CommuneDayTotal))
            cursor.execute(f"VACUUM (FULL, ANALYZE) {tables}")
        cursor.execute("ANALYZE")

