"""Campaign settings: the TOML file of a campaign, checked and turned into frozen values.

No Django import here: the same values feed the scoring core. Every error is a sentence in Vietnamese
that names the key at fault.
"""

import copy
import datetime as dt
import tomllib
from dataclasses import asdict, dataclass, field
from decimal import Decimal, InvalidOperation
from itertools import pairwise
from pathlib import Path
from typing import Any

from thidua.scoring.rules import Scale, Statutory, Tier

GROUP_KINDS = ("scored", "nomination")
STRUCTURES = ("legacy", "2025")


class ConfigError(ValueError):
    """A settings file that cannot be used; `errors` lists every problem found."""

    def __init__(self, errors: list[str]):
        super().__init__("\n".join(errors))
        self.errors = errors


@dataclass(frozen=True)
class Group:
    code: str
    name: str
    kind: str
    tiers: tuple[Tier, ...] = ()
    collectives: int = 0
    individuals: int = 0


@dataclass(frozen=True)
class Issuer:
    """A body that issues documents, as its header prints it (Nghị định 30/2020, Phụ lục I, II.2)."""

    parent: tuple[str, ...]  # the parent body's lines, upright ("CÔNG AN TỈNH HẬU GIANG"); may be empty
    name: tuple[str, ...]  # the issuing body's lines, bold
    symbol: str  # what follows the kind's abbreviation in the number: CAT-PC06 → 15/TTr-CAT-PC06


@dataclass(frozen=True)
class Signer:
    authority: tuple[str, ...]  # lines above the position: "TM. ỦY BAN NHÂN DÂN", "KT. CHỦ TỊCH"; may be empty
    position: str  # "PHÓ CHỦ TỊCH"
    name: str = ""  # blank: the space is left for it


@dataclass(frozen=True)
class Paper:
    """What one kind of document says besides the data: to whom, on what grounds, who signs, who receives it."""

    addressees: tuple[str, ...]  # Kính gửi (a Tờ trình or Báo cáo to a higher body); may be empty
    legal_bases: tuple[str, ...]  # each "Căn cứ …", without its closing punctuation
    recipients: tuple[str, ...]  # Nơi nhận, the last one "Lưu: VT, …"
    signer: Signer


@dataclass(frozen=True)
class DocumentSettings:
    """The `[documents]` table: the issuing bodies, the plan's reference, the money's source and each paper."""

    place: str  # the place of the date line: "Hậu Giang, ngày …"
    police: Issuer  # issues the Tờ trình and the Báo cáo
    committee: Issuer  # issues the Quyết định
    plan_title: str  # the plan as the documents cite it
    plan_symbol: str  # KH-UBND
    plan_number: int | None  # None: the space is left for it
    plan_date: dt.date | None
    money_source: str  # Điều 2 of the decision
    proposer: str  # "Xét đề nghị của …" in the decision
    decider: str  # the authority that decides, printed under the decision's title
    executors: str  # Điều 3: who executes the decision
    lessons: tuple[str, ...]  # the report's lessons; empty: a paragraph says PC06 completes them
    proposal: Paper
    decision: Paper
    report: Paper


@dataclass(frozen=True)
class CertificateField:
    """Where one variable field prints on the pre-printed Bằng khen blank: a box in millimetres from the page's top
    left corner, and the type in it (size in points; the text wraps within the box)."""

    x: float
    y: float
    width: float
    height: float
    size: float
    align: str = "center"  # left, center or right
    bold: bool = False
    italic: bool = False


CERTIFICATE_FIELDS = ("name", "unit", "achievement", "decision")
ALIGNMENTS = ("left", "center", "right")


@dataclass(frozen=True)
class Certificate:
    """The blank's page and the boxes of its variable fields (documents.md). The defaults fit a common A4 landscape
    Bằng khen blank: the pre-printed heading and the words BẰNG KHEN above 95 mm, the signature bottom right;
    `offset_x`/`offset_y` shift every box for a printer that feeds the blank off true (measured on the test print)."""

    page_width: float = 297
    page_height: float = 210
    decision_symbol: str = "QĐ-UBND"  # the decision's number prints 1234/QĐ-UBND
    offset_x: float = 0
    offset_y: float = 0
    name: CertificateField = CertificateField(40, 97, 217, 14, 22, bold=True)
    unit: CertificateField = CertificateField(40, 112, 217, 10, 15)
    achievement: CertificateField = CertificateField(40, 124, 217, 30, 15, italic=True)
    decision: CertificateField = CertificateField(28, 166, 125, 14, 12, align="left")


@dataclass(frozen=True)
class Monitoring:
    """The forecast's and the support planner's settings (docs/monitoring.md): they change no score."""

    window_days: int = 14  # the pace is the intake of the last `window_days` days (fewer at the start)
    watch_days: int = 7  # a competitor projected to finish within this many days of the deadline is watched
    default_machine_capacity: int = 300  # a support machine's daily capacity when nothing says better


@dataclass(frozen=True)
class CampaignConfig:
    code: str
    name: str
    province: str
    structure: str
    start: dt.date
    deadline: dt.date
    groups: tuple[Group, ...]
    scale: Scale = field(default_factory=Scale)
    non_working_days: tuple[dt.date, ...] = ()
    max_per_machine_day: int = 2000
    reference: str = ""
    statutory: Statutory | None = None
    grace_days: int = 3  # the campaign closes by itself this many days after the deadline
    appeal_days: int = 5  # the appeals window, counted from the day the results are published
    documents: DocumentSettings | None = None  # what the documents need and the data cannot know
    certificate: Certificate = field(default_factory=Certificate)
    monitoring: Monitoring = field(default_factory=Monitoring)

    def as_json(self) -> dict[str, Any]:
        """Return the settings as JSON-ready values (decimals and dates as text)."""
        return _jsonable(asdict(self))


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, Decimal | dt.date):
        return str(value) if isinstance(value, Decimal) else value.isoformat()
    return value


class _Reader:
    """Collects every problem of a settings table instead of stopping at the first."""

    def __init__(self, errors: list[str]):
        self.errors = errors

    def table(self, data: Any, where: str, allowed: set[str], required: set[str]) -> dict:
        if not isinstance(data, dict):
            self.errors.append(f"{where}: phải là một bảng (table).")
            return {}
        for key in sorted(set(data) - allowed):
            self.errors.append(f"{where}: khóa «{key}» không được biết đến.")
        for key in sorted(required - set(data)):
            self.errors.append(f"{where}: thiếu khóa bắt buộc «{key}».")
        return data

    def text(self, data: dict, key: str, where: str, default: str | None = None) -> str | None:
        value = data.get(key, default)
        if value is None:
            return None
        if not isinstance(value, str) or not value.strip():
            self.errors.append(f"{where}.{key}: phải là chuỗi ký tự không rỗng.")
            return None
        return value.strip()

    def integer(self, data: dict, key: str, where: str, default: int | None = None, minimum: int = 0) -> int | None:
        value = data.get(key, default)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int):
            self.errors.append(f"{where}.{key}: phải là số nguyên, không phải «{value}».")
            return None
        if value < minimum:
            self.errors.append(f"{where}.{key}: phải ≥ {minimum}.")
            return None
        return value

    def decimal(self, data: dict, key: str, where: str, default: Decimal) -> Decimal:
        value = data.get(key, default)
        # TOML floats are read through their shortest text so that 0.05 stays exactly 0.05.
        if isinstance(value, bool) or not isinstance(value, int | float | str | Decimal):
            self.errors.append(f"{where}.{key}: phải là một số.")
            return default
        try:
            number = Decimal(str(value))
        except InvalidOperation:
            self.errors.append(f"{where}.{key}: «{value}» không phải là số.")
            return default
        if not number.is_finite() or number < 0:
            self.errors.append(f"{where}.{key}: phải là số không âm.")
            return default
        return number

    def boolean(self, data: dict, key: str, where: str, default: bool) -> bool:
        value = data.get(key, default)
        if not isinstance(value, bool):
            self.errors.append(f"{where}.{key}: phải là true hoặc false.")
            return default
        return value

    def date(self, data: dict, key: str, where: str) -> dt.date | None:
        value = data.get(key)
        if value is None:
            return None
        if isinstance(value, dt.datetime) or not isinstance(value, dt.date):
            self.errors.append(f"{where}.{key}: phải là ngày dạng YYYY-MM-DD, không phải «{value}».")
            return None
        return value


def _scale(reader: _Reader, data: Any) -> Scale:
    defaults = Scale()
    keys = set(asdict(defaults))
    data = reader.table(data, "scale", keys, set())
    values = {}
    for key in keys - {"require_completion"}:
        values[key] = reader.decimal(data, key, "scale", getattr(defaults, key))
    values["require_completion"] = reader.boolean(data, "require_completion", "scale", True)
    if values["bonus_step"] == 0:
        reader.errors.append("scale.bonus_step: phải lớn hơn 0.")
    return Scale(**values)


def _tiers(reader: _Reader, data: Any, where: str) -> tuple[Tier, ...]:
    if not isinstance(data, list):
        reader.errors.append(f"{where}.tiers: phải là danh sách [[...tiers]].")
        return ()
    tiers = []
    for i, raw in enumerate(data, start=1):
        here = f"{where}.tiers[{i}]"
        t = reader.table(raw, here, {"rank", "collective", "cash_vnd", "individuals", "bonus_points"},
                         {"rank", "collective", "cash_vnd", "individuals"})
        values = (reader.integer(t, "rank", here, minimum=1), reader.text(t, "collective", here),
                  reader.integer(t, "cash_vnd", here), reader.integer(t, "individuals", here),
                  reader.integer(t, "bonus_points", here, default=0))
        if None not in values:
            tiers.append(Tier(*values))
    ranks = [t.rank for t in tiers]
    if ranks != list(range(1, len(ranks) + 1)):
        reader.errors.append(f"{where}.tiers: các hạng phải theo thứ tự 1, 2, 3… không trùng, không bỏ sót "
                             f"(đang là {ranks}).")
    for a, b in pairwise(tiers):
        if b.cash_vnd > a.cash_vnd or b.individuals > a.individuals or b.bonus_points > a.bonus_points:
            reader.errors.append(f"{where}.tiers: hạng {b.rank} không được thưởng nhiều hơn hạng {a.rank}.")
    return tuple(tiers)


def _groups(reader: _Reader, data: Any) -> tuple[Group, ...]:
    if not isinstance(data, list) or not data:
        reader.errors.append("groups: phải có ít nhất một nhóm thi đua [[groups]].")
        return ()
    groups = []
    for i, raw in enumerate(data, start=1):
        here = f"groups[{i}]"
        g = reader.table(raw, here, {"code", "name", "kind", "tiers", "collectives", "individuals"},
                         {"code", "name", "kind"})
        code, name, kind = reader.text(g, "code", here), reader.text(g, "name", here), reader.text(g, "kind", here)
        if kind is not None and kind not in GROUP_KINDS:
            reader.errors.append(f"{here}.kind: phải là scored (chấm điểm) hoặc nomination (xét chọn).")
        if kind == "scored":
            tiers = _tiers(reader, g.get("tiers", []), here)
            if not tiers:
                reader.errors.append(f"{here}: nhóm chấm điểm cần ít nhất một hạng giải (tiers).")
        else:
            if "tiers" in g:
                reader.errors.append(f"{here}.tiers: nhóm xét chọn không có hạng giải.")
            tiers = ()
        collectives = reader.integer(g, "collectives", here, default=0)
        individuals = reader.integer(g, "individuals", here, default=0)
        if code and name and kind in GROUP_KINDS:
            groups.append(Group(code, name, kind, tiers, collectives or 0, individuals or 0))
    codes = [g.code for g in groups]
    for code in sorted({c for c in codes if codes.count(c) > 1}):
        reader.errors.append(f"groups: mã nhóm «{code}» bị trùng.")
    return tuple(groups)


TOP_KEYS = {"code", "name", "province", "structure", "start", "deadline", "non_working_days",
            "max_per_machine_day", "reference", "scale", "groups", "statutory", "lifecycle", "documents",
            "certificate", "monitoring"}


def _statutory(reader: _Reader, data: Any) -> Statutory | None:
    if data is None:
        return None
    where = "statutory"
    data = reader.table(data, where, {"base_salary_vnd", "individual_coefficient", "collective_coefficient",
                                      "reference"}, {"base_salary_vnd", "individual_coefficient",
                                                     "collective_coefficient"})
    base = reader.integer(data, "base_salary_vnd", where, minimum=1)
    individual = reader.decimal(data, "individual_coefficient", where, Decimal(0))
    collective = reader.decimal(data, "collective_coefficient", where, Decimal(0))
    reference = reader.text(data, "reference", where, default="") if data.get("reference") else ""
    if base is None:
        return None
    return Statutory(base, individual, collective, reference or "")


def _lines(reader: _Reader, data: dict, key: str, where: str, required: bool = True) -> tuple[str, ...]:
    """Read a list of non-empty texts (a header's lines, the legal bases, the recipients)."""
    value = data.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        reader.errors.append(f"{where}.{key}: phải là danh sách chuỗi ký tự không rỗng.")
        return ()
    if required and not value:
        reader.errors.append(f"{where}.{key}: cần ít nhất một dòng.")
    return tuple(v.strip() for v in value)


def _issuer(reader: _Reader, data: Any, where: str) -> Issuer | None:
    data = reader.table(data, where, {"parent", "name", "symbol"}, {"name", "symbol"})
    parent = _lines(reader, data, "parent", where, required=False)
    name = _lines(reader, data, "name", where)
    symbol = reader.text(data, "symbol", where)
    if symbol is not None and not all(c.isalnum() or c == "-" for c in symbol):
        reader.errors.append(f"{where}.symbol: «{symbol}» chỉ được gồm chữ, số và dấu -.")
        symbol = None
    return Issuer(parent, name, symbol) if name and symbol else None


def _signer(reader: _Reader, data: Any, where: str) -> Signer | None:
    data = reader.table(data, where, {"authority", "position", "name"}, {"position"})
    authority = _lines(reader, data, "authority", where, required=False)
    position = reader.text(data, "position", where)
    name = reader.text(data, "name", where, default="") if data.get("name") else ""
    return Signer(authority, position, name or "") if position else None


def _paper(reader: _Reader, data: Any, where: str, addressed: bool) -> Paper | None:
    data = reader.table(data, where, {"addressees", "legal_bases", "recipients", "signer"},
                        {"recipients", "signer"} | ({"addressees"} if addressed else set()))
    addressees = _lines(reader, data, "addressees", where, required=addressed)
    legal_bases = _lines(reader, data, "legal_bases", where, required=False)
    recipients = _lines(reader, data, "recipients", where)
    signer = _signer(reader, data.get("signer", {}), f"{where}.signer")
    return Paper(addressees, legal_bases, recipients, signer) if recipients and signer else None


DOCUMENT_KEYS = {"place", "police", "committee", "plan_title", "plan_symbol", "plan_number", "plan_date",
                 "money_source", "proposer", "decider", "executors", "lessons", "proposal", "decision", "report"}


def _documents(reader: _Reader, data: Any) -> DocumentSettings | None:
    """Read the `[documents]` table; None when the campaign has none (its documents cannot be made)."""
    if data is None:
        return None
    where = "documents"
    data = reader.table(data, where, DOCUMENT_KEYS, DOCUMENT_KEYS - {"plan_number", "plan_date", "lessons"})
    errors = len(reader.errors)
    texts = {key: reader.text(data, key, where) for key in ("place", "plan_title", "plan_symbol", "money_source",
                                                             "proposer", "decider", "executors")}
    plan_number = reader.integer(data, "plan_number", where, minimum=1)
    plan_date = reader.date(data, "plan_date", where)
    police = _issuer(reader, data.get("police", {}), f"{where}.police")
    committee = _issuer(reader, data.get("committee", {}), f"{where}.committee")
    proposal = _paper(reader, data.get("proposal", {}), f"{where}.proposal", addressed=True)
    decision = _paper(reader, data.get("decision", {}), f"{where}.decision", addressed=False)
    report = _paper(reader, data.get("report", {}), f"{where}.report", addressed=True)
    lessons = _lines(reader, data, "lessons", where, required=False)
    if len(reader.errors) > errors:
        return None
    return DocumentSettings(police=police, committee=committee, plan_number=plan_number, plan_date=plan_date,
                            lessons=lessons, proposal=proposal, decision=decision, report=report, **texts)


# Sections of the stored settings that only word the documents: they do not change a score, so they stay editable
# after the campaign is scored and are not part of what the council approves with the scale.
PAPER_SECTIONS = ("documents", "certificate")


def scored_settings(settings: dict) -> dict:
    """Return the stored settings less the sections that only word the documents: what the scores depend on."""
    return {k: v for k, v in settings.items() if k not in PAPER_SECTIONS}


def documents_from_json(data: dict | None) -> dict | None:
    """Return the stored `documents` settings as parse_config reads them (the date back from its text)."""
    if data is None:
        return None
    data = dict(data)
    if data.get("plan_date"):
        data["plan_date"] = dt.date.fromisoformat(data["plan_date"])
    for key in ("plan_date", "plan_number"):
        if data.get(key) is None:
            data.pop(key, None)
    return data

def _measure(reader: _Reader, data: dict, key: str, where: str, default: float, low: float, high: float,
             unit: str = "milimét") -> float:
    value = data.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int | float):
        reader.errors.append(f"{where}.{key}: phải là một số ({unit}), không phải «{value}».")
        return default
    if not low <= value <= high:
        reader.errors.append(f"{where}.{key}: phải từ {low:g} đến {high:g}, không phải {value:g}.")
        return default
    return float(value)


def _certificate_field(reader: _Reader, data: Any, where: str, default: CertificateField,
                       page: tuple[float, float]) -> CertificateField:
    data = reader.table(data, where, set(asdict(default)), set())
    box = {key: _measure(reader, data, key, where, getattr(default, key), 0, 1000)
           for key in ("x", "y", "width", "height")}
    size = _measure(reader, data, "size", where, default.size, 6, 96, unit="điểm, cỡ chữ")
    align = data.get("align", default.align)
    if align not in ALIGNMENTS:
        reader.errors.append(f"{where}.align: phải là left, center hoặc right, không phải «{align}».")
        align = default.align
    bold = reader.boolean(data, "bold", where, default.bold)
    italic = reader.boolean(data, "italic", where, default.italic)
    if box["width"] <= 0 or box["height"] <= 0:
        reader.errors.append(f"{where}: chiều rộng và chiều cao của ô phải lớn hơn 0.")
    if box["x"] + box["width"] > page[0] or box["y"] + box["height"] > page[1]:
        reader.errors.append(f"{where}: ô ({box['x']:g}, {box['y']:g}) rộng {box['width']:g} cao {box['height']:g} "
                             f"mm vượt ra ngoài trang {page[0]:g} × {page[1]:g} mm.")
    return CertificateField(**box, size=size, align=align, bold=bold, italic=italic)


def _certificate(reader: _Reader, data: Any) -> Certificate:
    """Read the `[certificate]` table: the blank's page and its fields' boxes, every key optional."""
    default = Certificate()
    where = "certificate"
    data = reader.table(data, where, set(asdict(default)), set())
    page = (_measure(reader, data, "page_width", where, default.page_width, 50, 1000),
            _measure(reader, data, "page_height", where, default.page_height, 50, 1000))
    symbol = reader.text(data, "decision_symbol", where, default=default.decision_symbol)
    if symbol is not None and not all(c.isalnum() or c == "-" for c in symbol):
        reader.errors.append(f"{where}.decision_symbol: «{symbol}» chỉ được gồm chữ, số và dấu -.")
    offsets = {key: _measure(reader, data, key, where, 0, -20, 20) for key in ("offset_x", "offset_y")}
    fields = {key: _certificate_field(reader, data.get(key, {}), f"{where}.{key}", getattr(default, key), page)
              for key in CERTIFICATE_FIELDS}
    return Certificate(*page, decision_symbol=symbol or default.decision_symbol, **offsets, **fields)


def _monitoring(reader: _Reader, data: Any) -> Monitoring:
    data = reader.table(data, "monitoring", {"window_days", "watch_days", "default_machine_capacity"}, set())
    window = reader.integer(data, "window_days", "monitoring", default=14, minimum=1)
    watch = reader.integer(data, "watch_days", "monitoring", default=7)
    capacity = reader.integer(data, "default_machine_capacity", "monitoring", default=300, minimum=1)
    return Monitoring(window or 14, 7 if watch is None else watch, capacity or 300)


def parse_config(data: Any) -> CampaignConfig:
    """Check a campaign's settings (parsed from TOML); return them, or raise ConfigError naming every problem."""
    errors: list[str] = []
    r = _Reader(errors)
    data = r.table(data, "tệp cấu hình", TOP_KEYS, {"code", "name", "province", "start", "deadline", "groups"})
    code, name = r.text(data, "code", "campaign"), r.text(data, "name", "campaign")
    if code is not None and not all(c.isalnum() or c in "-_" for c in code):
        errors.append(f"campaign.code: «{code}» chỉ được gồm chữ, số, - và _.")
    province = r.text(data, "province", "campaign")
    structure = r.text(data, "structure", "campaign", default="legacy")
    if structure is not None and structure not in STRUCTURES:
        errors.append(f"campaign.structure: phải là legacy hoặc 2025, không phải «{structure}».")
    start, deadline = r.date(data, "start", "campaign"), r.date(data, "deadline", "campaign")
    if start and deadline and deadline < start:
        errors.append(f"campaign.deadline: hạn cuối {deadline:%d/%m/%Y} trước ngày bắt đầu {start:%d/%m/%Y}.")
    raw_days = data.get("non_working_days", [])
    days: list[dt.date] = []
    if not isinstance(raw_days, list):
        errors.append("campaign.non_working_days: phải là danh sách ngày.")
    else:
        for i, _ in enumerate(raw_days):
            day = r.date({"d": raw_days[i]}, "d", f"campaign.non_working_days[{i + 1}]")
            if day is not None:
                if start and deadline and not start <= day <= deadline:
                    errors.append(f"campaign.non_working_days: ngày {day:%d/%m/%Y} nằm ngoài thời gian thi đua.")
                days.append(day)
    max_day = r.integer(data, "max_per_machine_day", "campaign", default=2000, minimum=1)
    reference = r.text(data, "reference", "campaign", default="") if data.get("reference") else ""
    scale = _scale(r, data.get("scale", {}))
    groups = _groups(r, data.get("groups"))
    statutory = _statutory(r, data.get("statutory"))
    lifecycle = r.table(data.get("lifecycle", {}), "lifecycle", {"grace_days", "appeal_days"}, set())
    grace_days = r.integer(lifecycle, "grace_days", "lifecycle", default=3)
    appeal_days = r.integer(lifecycle, "appeal_days", "lifecycle", default=5, minimum=1)
    documents = _documents(r, data.get("documents"))
    certificate = _certificate(r, data.get("certificate", {}))
    monitoring = _monitoring(r, data.get("monitoring", {}))
    if errors:
        raise ConfigError(errors)
    return CampaignConfig(code=code, name=name, province=province, structure=structure, start=start,
                          deadline=deadline, groups=groups, scale=scale, non_working_days=tuple(sorted(set(days))),
                          max_per_machine_day=max_day, reference=reference or "", statutory=statutory,
                          grace_days=grace_days, appeal_days=appeal_days, documents=documents,
                          certificate=certificate, monitoring=monitoring)


def load_config(path: str | Path) -> CampaignConfig:
    """Read a campaign's TOML file and check it."""
    try:
        with open(path, "rb") as fh:
            data = tomllib.load(fh)
    except FileNotFoundError as exc:
        raise ConfigError([f"Không tìm thấy tệp cấu hình «{path}»."]) from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError([f"Tệp «{path}» không đúng cú pháp TOML: {exc}."]) from exc
    return parse_config(data)


def config_from_json(data: dict) -> CampaignConfig:
    """Rebuild the settings stored in the database (the inverse of `CampaignConfig.as_json`); `data` is left as it
    is (a copy is read: the stored settings are hashed when the council approves them)."""
    data = copy.deepcopy(data)
    for key in ("start", "deadline"):
        data[key] = dt.date.fromisoformat(data[key])
    data["non_working_days"] = [dt.date.fromisoformat(d) for d in data.get("non_working_days", [])]
    for g in data.get("groups", []):
        if not g.get("tiers"):
            g.pop("tiers", None)
    if data.get("statutory") is None:
        data.pop("statutory", None)
    documents = documents_from_json(data.pop("documents", None))
    if documents is not None:
        data["documents"] = documents
    # Settings stored before the lifecycle's were: their defaults.
    data["lifecycle"] = {"grace_days": data.pop("grace_days", 3), "appeal_days": data.pop("appeal_days", 5)}
    return parse_config(data)
