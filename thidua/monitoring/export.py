"""The forecast written out: the JSON of docs/monitoring.md, a Vietnamese table, a ready-to-print workbook."""

import datetime as dt
from fractions import Fraction
from pathlib import Path

from openpyxl import Workbook

from thidua.lib import vn
from thidua.lib.sheets import DATE, INTEGER, SYNTHETIC_NOTE, xlsx_table, xlsx_titles
from thidua.scoring.forecast import UNREACHABLE, Forecast, fixed

from .forecasts import CampaignForecast, CommuneForecast


def _day(value: dt.date | None) -> str | None:
    return value.isoformat() if value else None


def _required(value) -> str | None:
    if value is None or value == UNREACHABLE:
        return value
    return fixed(value, 2)


def forecast_json(f: Forecast, group: str | None = None) -> dict:
    """Return one competitor's (or team's) line of the forecast's JSON."""
    line = {"group": group} if group is not None else {}
    return line | {
        "unit": f.code, "name": f.name, "quota": f.quota, "intake": f.intake, "remaining": f.remaining,
        "pace": None if f.pace is None else fixed(f.pace, 2), "required_pace": _required(f.required_pace),
        "projected_on": _day(f.projected_on), "band": [_day(f.band[0]), _day(f.band[1])],
        "at_risk": f.at_risk, "watch": f.watch, "reason": f.reason, "to_overtake": f.to_overtake,
    }


def campaign_forecast_json(result: CampaignForecast, communes: tuple[CommuneForecast, ...]) -> dict:
    """Return the object `thidua forecast --format json` prints."""
    return {
        "campaign": result.campaign.code, "as_of": result.as_of.isoformat(), "window_days": result.window_days,
        "synthetic": result.campaign.synthetic,
        "competitors": [forecast_json(f, g.code) for g, f in result.competitors()],
        "teams": [forecast_json(f) for f in result.teams],
        "communes": [{"commune": c.code, "name": c.name, "eligible": c.eligible, "intake": c.intake,
                      "coverage": None if c.coverage is None else fixed(c.coverage, 4),
                      "projected_on": _day(c.forecast.projected_on), "at_risk": c.forecast.at_risk}
                     for c in communes],
    }


def pace_text(value: Fraction | None) -> str:
    """Return a pace as shown to people: 123,45."""
    return "" if value is None else vn.number(vn.rounded(value, 2), 2)


def required_text(value) -> str:
    if value is None:
        return ""
    return "không thể kịp" if value == UNREACHABLE else pace_text(value)


def flag_text(f: Forecast) -> str:
    return "Nguy cơ trễ hạn" if f.at_risk else ("Cần theo dõi" if f.watch else "")


def band_text(f: Forecast) -> str:
    if f.band == (None, None):
        return ""
    return f"{vn.date(f.band[0]) or 'không xong'} – {vn.date(f.band[1]) or 'không xong'}"


HEADERS = ("Hạng", "Mã", "Đơn vị", "Chỉ tiêu", "Thu nhận", "Còn lại", "Tốc độ/ngày", "Cần/ngày", "Dự kiến xong",
           "Khoảng dự báo", "Cảnh báo", "Cần thêm để vượt hạng trên", "Lý do")


def _row(f: Forecast) -> list:
    return [f.rank, f.code, f.name, f.quota, f.intake, f.remaining, pace_text(f.pace), required_text(f.required_pace),
            f.projected_on, band_text(f), flag_text(f), f.to_overtake, f.reason]


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.date):
        return vn.date(value)
    if isinstance(value, int):
        return vn.number(value)
    return str(value)


def forecast_table(result: CampaignForecast, communes: tuple[CommuneForecast, ...]) -> str:
    """Return the forecast as a Vietnamese text table: competitors by group, teams, communes at risk."""
    c = result.campaign
    lines = [c.name, f"Dự báo đến ngày {vn.date(result.as_of)} (tốc độ: bình quân {result.window_days} ngày gần "
                     f"nhất; hạn cuối {vn.date(c.deadline)})"]
    if c.synthetic:
        lines.append(SYNTHETIC_NOTE)
    short = (0, 1, 2, 3, 4, 5, 6, 7, 8, 10, 11)
    for g in result.groups:
        lines += ["", f"Nhóm {g.name}"]
        lines += _text_table([[HEADERS[i] for i in short],
                              *([_text(_row(f)[i]) for i in short] for f in g.forecasts)])
        lines += [f"  {f.code}: {f.reason}" for f in g.forecasts if f.flagged]
    lines += ["", "Các tổ"]
    lines += _text_table([[HEADERS[i] for i in short[1:]],
                          *([_text(_row(f)[i]) for i in short[1:]] for f in result.teams)])
    risky = [x for x in communes if x.forecast.at_risk]
    lines += ["", f"Xã, phường, thị trấn chưa phủ hết người trong độ tuổi đúng hạn: {len(risky)}"]
    lines += _text_table([["Mã", "Xã", "Huyện", "Trong độ tuổi", "Đã thu nhận", "Tỷ lệ", "Dự kiến phủ hết"],
                          *([x.code, x.name, x.district, vn.number(x.eligible), vn.number(x.intake),
                             vn.ratio(x.coverage), vn.date(x.forecast.projected_on) or "không kịp"]
                            for x in risky)]) if risky else []
    return "\n".join(lines) + "\n"


def _text_table(rows: list[list[str]]) -> list[str]:
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    return ["  " + "  ".join(cell.ljust(w) for cell, w in zip(r, widths, strict=True)).rstrip() for r in rows]


def forecast_xlsx(result: CampaignForecast, communes: tuple[CommuneForecast, ...], path, *,
                  units: frozenset[str] | None = None):
    """Write the forecast as a workbook: one sheet per scored group, the teams, the communes (limited to `units`'
    codes and communes when given, as a page shows a district only its own)."""
    wb = Workbook()
    wb.remove(wb.active)
    c = result.campaign
    widths = (7, 12, 34, 11, 11, 11, 11, 11, 12, 24, 16, 14, 60)
    formats = {4: INTEGER, 5: INTEGER, 6: INTEGER, 9: DATE, 12: INTEGER}

    def titles(ws, title: str, width: int) -> int:
        rows = [c.name, title, f"Đến ngày {vn.date(result.as_of)} · tốc độ bình quân {result.window_days} ngày "
                               f"gần nhất · hạn cuối {vn.date(c.deadline)}"]
        if c.synthetic:
            rows.append(SYNTHETIC_NOTE)
        return xlsx_titles(ws, rows, width, bold=2, large=1)

    def shown(f: Forecast) -> bool:
        return units is None or f.code in units

    for g in result.groups:
        ws = wb.create_sheet(g.code[:31])
        top = titles(ws, f"Dự báo tiến độ – {g.name}", len(HEADERS))
        xlsx_table(ws, top, HEADERS, [_row(f) for f in g.forecasts if shown(f)], widths, formats=formats)
    ws = wb.create_sheet("cac_to")
    top = titles(ws, "Dự báo tiến độ các tổ", len(HEADERS) - 1)
    xlsx_table(ws, top, HEADERS[1:], [_row(f)[1:] for f in result.teams if shown(f)], widths[1:],
               formats={k - 1: v for k, v in formats.items()})
    ws = wb.create_sheet("xa_phuong")
    top = titles(ws, "Độ phủ người trong độ tuổi theo xã, phường, thị trấn", 9)
    rows = [[x.code, x.name, x.district, x.eligible, x.intake, vn.rounded(x.coverage, 4), x.forecast.projected_on,
             "Nguy cơ không phủ hết đúng hạn" if x.forecast.at_risk else "", x.forecast.reason]
            for x in communes if units is None or x.code in units]
    xlsx_table(ws, top, ("Mã xã", "Xã, phường, thị trấn", "Huyện", "Người trong độ tuổi", "Đã thu nhận", "Tỷ lệ phủ",
                         "Dự kiến phủ hết", "Cảnh báo", "Lý do"), rows, (10, 24, 20, 12, 12, 10, 12, 18, 60),
               formats={4: INTEGER, 5: INTEGER, 6: "0.00%", 7: DATE})
    if isinstance(path, str | Path):
        path = Path(path)
    wb.save(path)
    return path
