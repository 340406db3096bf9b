"""The workbook contract of docs/data-formats.md: sheet names, column keys, Vietnamese labels, order of application."""

from dataclasses import dataclass


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    required: bool = False
    choices: tuple[str, ...] = ()
    hint: str = ""


@dataclass(frozen=True)
class Sheet:
    name: str
    label: str
    columns: tuple[Column, ...]

    @property
    def keys(self) -> tuple[str, ...]:
        return tuple(c.key for c in self.columns)

    @property
    def required(self) -> tuple[str, ...]:
        return tuple(c.key for c in self.columns if c.required)


UNIT_KINDS = ("phong", "doi", "cong_an_huyen", "to")
YES_NO = ("co", "khong")

SHEETS: tuple[Sheet, ...] = (
    Sheet("don_vi", "Đơn vị", (
        Column("ma_don_vi", "Mã đơn vị", True),
        Column("ten_don_vi", "Tên đơn vị", True),
        Column("loai", "Loại đơn vị", True, UNIT_KINDS, "phong, doi, cong_an_huyen hoặc to"),
        Column("ma_don_vi_cap_tren", "Mã đơn vị cấp trên"),
        Column("dia_ban", "Địa bàn phụ trách", hint="Mã GSO của huyện hoặc các xã, cách nhau bởi dấu ;"),
        Column("nhom_thi_dua", "Nhóm thi đua", hint="Mã nhóm thi đua; để trống nếu không thi đua"),
    )),
    Sheet("can_bo", "Cán bộ", (
        Column("ma_can_bo", "Mã cán bộ", True),
        Column("ho_ten", "Họ và tên", True),
        Column("ma_don_vi", "Mã đơn vị", True),
        Column("cap_bac", "Cấp bậc"),
        Column("chuc_vu", "Chức vụ"),
        Column("truc_tiep_cap_cccd", "Trực tiếp cấp CCCD", choices=YES_NO, hint="co hoặc khong"),
        Column("tu_ngay", "Thuộc đơn vị từ ngày", hint="Ngày chuyển đến đơn vị; mặc định ngày bắt đầu đợt thi đua"),
    )),
    Sheet("may", "Phân công máy", (
        Column("ma_may", "Mã máy", True),
        Column("ma_to", "Mã tổ", True),
        Column("tu_ngay", "Từ ngày", hint="Mặc định: ngày bắt đầu đợt thi đua"),
        Column("den_ngay", "Đến ngày", hint="Mặc định: hạn cuối đợt thi đua"),
        Column("chi_tieu", "Chỉ tiêu (tổng)", hint="Ghi đúng một trong hai: chi_tieu hoặc chi_tieu_ngay"),
        Column("chi_tieu_ngay", "Chỉ tiêu mỗi ngày"),
    )),
    Sheet("dan_so", "Dân số trong độ tuổi", (
        Column("ma_xa", "Mã xã (GSO)", True),
        Column("so_nguoi_trong_do_tuoi", "Số người trong độ tuổi cấp CCCD", True),
    )),
    Sheet("thu_nhan", "Thu nhận hồ sơ", (
        Column("ngay", "Ngày", True),
        Column("ma_may", "Mã máy", True),
        Column("ma_xa", "Mã xã (GSO)", True),
        Column("so_ho_so", "Số hồ sơ thu nhận", True, hint="Số nguyên ≥ 0"),
    )),
)
SHEETS_BY_NAME = {s.name: s for s in SHEETS}
