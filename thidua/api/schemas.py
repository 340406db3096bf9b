"""What the API takes and gives. Keys are those of the exchange contract (data-formats.md) where it names the thing
(`ngay`, `ma_may`, `ma_xa`, `so_ho_so`, `ma_to`, `ma_don_vi`…), those of scoring.md for the standings, English
otherwise, as in the campaign's settings file."""

import datetime as dt
from typing import Annotated

from ninja import Field, Schema
from pydantic import BeforeValidator, ConfigDict
from pydantic_core import PydanticCustomError

from thidua.audit.models import REASON_MAX
from thidua.campaigns.models import Status
from thidua.intake.models import ReportStatus
from thidua.units.models import Kind

MAX_ROWS = 2000
PAGE_SIZE, MAX_PAGE_SIZE, MAX_PAGE = 500, 5000, 1_000_000
# Codes are text of the workbook contract; control characters (NUL above all, which PostgreSQL refuses) are not.
TEXT = r"^[^\x00-\x1f\x7f]+$"
NO_NUL = r"^[^\x00]*$"


def _text_only(value):
    """Refuse numbers as dates (pydantic would read them as Unix timestamps): a date is written YYYY-MM-DD."""
    if not isinstance(value, str | dt.date):
        raise PydanticCustomError("date_type", "Input should be a valid date")
    return value


def _number_only(value):
    """Refuse booleans and text as counts (pydantic would read true as 1, "12" as 12); 12.0 is JSON's 12."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise PydanticCustomError("int_type", "Input should be a valid integer")
    return value


IsoDate = Annotated[dt.date, BeforeValidator(_text_only), Field(description="YYYY-MM-DD")]
Count = Annotated[int, BeforeValidator(_number_only), Field(ge=0)]


class CampaignOut(Schema):
    code: str
    name: str
    province_code: str
    structure: str
    start: dt.date
    deadline: dt.date
    status: Status
    status_label: str
    synthetic: bool


class CampaignDetailOut(CampaignOut):
    role: str = Field(description="Vai trò của bạn trong đợt thi đua.")
    whole_campaign: bool = Field(description="Bạn thấy mọi đơn vị của đợt thi đua.")
    read_only: bool = Field(description="Vai trò của bạn chỉ được xem.")


class UnitOut(Schema):
    ma_don_vi: str
    ten_don_vi: str
    loai: Kind
    ma_don_vi_cap_tren: str | None = Field(description="Đơn vị cấp trên, nếu nó nằm trong phạm vi của bạn.")
    dia_ban: list[str] = Field(description="Mã địa bàn của riêng đơn vị (rỗng: địa bàn của cấp trên).")
    nhom_thi_dua: str | None


class UnitDetailOut(UnitOut):
    communes: list[str] = Field(description="Mã các xã đơn vị phục vụ (của riêng nó hoặc của cấp trên).")
    intake: int = Field(description="Tổng số hồ sơ thu nhận của các tổ thuộc đơn vị.")


class AssignmentOut(Schema):
    ma_to: str
    tu_ngay: dt.date
    den_ngay: dt.date
    chi_tieu: int | None
    chi_tieu_ngay: int | None


class MachineOut(Schema):
    ma_may: str
    assignments: list[AssignmentOut] = Field(description="Các lần phân công cho tổ trong phạm vi của bạn.")


class IntakeRowOut(Schema):
    ngay: dt.date
    ma_may: str
    ma_xa: str
    so_ho_so: int
    ma_to: str


class IntakePageOut(Schema):
    count: int = Field(description="Số dòng khớp bộ lọc (mọi trang).")
    page: int
    page_size: int
    items: list[IntakeRowOut]


class IntakeFilters(Schema):
    tu_ngay: dt.date | None = None
    den_ngay: dt.date | None = None
    ma_to: Annotated[str | None, Field(max_length=40, pattern=TEXT)] = None
    ma_may: Annotated[str | None, Field(max_length=40, pattern=TEXT)] = None
    page: Annotated[int, Field(ge=1, le=MAX_PAGE)] = 1
    page_size: Annotated[int, Field(ge=1, le=MAX_PAGE_SIZE)] = PAGE_SIZE


class IntakeRowIn(Schema):
    ngay: IsoDate
    ma_may: Annotated[str, Field(min_length=1, max_length=40, pattern=TEXT)]
    ma_xa: Annotated[str, Field(min_length=1, max_length=10, pattern=TEXT)]
    so_ho_so: Count


class IntakeIn(Schema):
    rows: Annotated[list[IntakeRowIn], Field(min_length=1, max_length=MAX_ROWS)]
    ly_do: Annotated[str, Field(max_length=REASON_MAX, pattern=NO_NUL,
                                description="Lý do sửa số liệu (cần khi ngày đã gửi).")] = ""


class IntakeWriteOut(Schema):
    added: int
    changed: int
    unchanged: int


class ReasonIn(Schema):
    ly_do: Annotated[str, Field(max_length=REASON_MAX, pattern=NO_NUL)] = ""


class ReportOut(Schema):
    ma_to: str
    ngay: dt.date
    status: ReportStatus
    status_label: str
    late: bool
    submitted_by: str
    submitted_at: dt.datetime | None
    verified_by: str
    verified_at: dt.datetime | None


# The standings: the JSON of scoring.md as `thidua score --format json` prints it (keys added later pass through).

class _Open(Schema):
    model_config = ConfigDict(extra="allow")


class AwardOut(_Open):
    tier: int
    cash_vnd: int
    individuals: int
    bonus_points: int


class PointsOut(_Open):
    intake: str | None
    time: str | None


class StandingOut(_Open):
    unit: str
    name: str
    quota: int
    intake: int
    attainment: str | None
    completed_on: dt.date | None
    points: PointsOut
    total: str | None
    rank: int | None
    tie: bool
    eligible: bool
    prize_rank: int | None
    needs_decision: bool
    award: AwardOut | None
    setup_error: str | None


class NominationsOut(_Open):
    collectives: int
    individuals: int


class GroupOut(_Open):
    code: str
    name: str
    kind: str
    standings: list[StandingOut]
    nominations: NominationsOut | None = Field(None, description="Chỉ có ở nhóm xét chọn (không chấm điểm).")


class BudgetOut(_Open):
    prizes_vnd: int
    statutory_vnd: int
    total_vnd: int
    tentative: bool


class StandingsOut(_Open):
    campaign: str
    as_of: dt.date
    final: bool
    synthetic: bool
    groups: list[GroupOut]
    teams: list[StandingOut]
    budget: BudgetOut


# --- issue 10: nominations ------------------------------------------------------------------------------------

class NominationIn(Schema):
    """One nomination: `ma_can_bo` for an officer, `ma_don_vi` for a collective (provincial level), not both."""

    ma_don_vi_de_nghi: Annotated[str, Field(max_length=40, pattern=TEXT,
                                            description="Đơn vị đề nghị: công an huyện đạt giải, hoặc PC06")]
    ma_can_bo: Annotated[str | None, Field(max_length=40, pattern=TEXT)] = None
    ma_don_vi: Annotated[str | None, Field(max_length=40, pattern=TEXT)] = None
    thanh_tich: Annotated[str, Field(max_length=4000, pattern=NO_NUL, description="Thành tích")]


class NominationOut(Schema):
    id: int
    cap: str = Field(description="district (theo giải) hoặc province (cấp tỉnh)")
    loai: str = Field(description="individual (cá nhân) hoặc collective (tập thể)")
    ma_don_vi_de_nghi: str
    giai: int | None = Field(description="Hạng giải của đơn vị đề nghị lúc đề nghị (cấp huyện)")
    suat: int | None = Field(description="Suất trong chỉ tiêu (trống khi đã trả lại hoặc rút)")
    ma_can_bo: str | None
    ma_don_vi: str | None
    thanh_tich: str
    trang_thai: str
    trang_thai_nhan: str
    nguoi_de_nghi: str
    ly_do_tra_lai: str
