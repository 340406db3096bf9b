"""The import page: upload → preview (every error named, nothing changed) → confirm; per role and scope."""

import csv
import datetime as dt
import io
import os
import time

import openpyxl
import pytest
from conftest import HEADERS, form_fields
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from thidua.accounts.models import Role
from thidua.audit.models import ChangeSet
from thidua.intake.models import DailyReport, IntakeRecord, ReportStatus
from thidua.intake.services import report_save
from thidua.territory.models import AdminUnit
from thidua.units.models import Unit

pytestmark = pytest.mark.django_db
DAY = dt.date(2021, 3, 10)


@pytest.fixture(autouse=True)
def upload_dir(settings, tmp_path):
    settings.THIDUA_UPLOAD_DIR = tmp_path / "uploads"
    return settings.THIDUA_UPLOAD_DIR



def intake_csv(rows) -> SimpleUploadedFile:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(HEADERS["thu_nhan"])
    writer.writerows(rows)
    return SimpleUploadedFile("thu_nhan.csv", buffer.getvalue().encode("utf-8-sig"), content_type="text/csv")


GOOD = [["10/03/2021", "M-VTH-01", "31318", "50"], ["10/03/2021", "M-VTH-01", "31321", "20"]]
BAD = [["10/03/2021", "M-VTH-01", "31318", "-5"], ["32/03/2021", "M-VTH-01", "31321", "20"],
       ["10/03/2021", "M-VTH-01", "99999", "3"]]


def upload(client, campaign, file, **fields):
    return client.post(reverse("import_upload", args=[campaign.code]), {"tep": file, **fields})


def confirm(client, campaign, response, **fields):
    """Post the confirmation form of a preview: its file's hash and its signed token (if it offered one)."""
    return client.post(reverse("import_confirm", args=[campaign.code]),
                       {"sha256": response.context["sha"], "ma": response.context.get("token") or "", **fields})


def test_a_preview_shows_the_counts_and_changes_nothing(login, campaign, snapshot):
    client = login(Role.PC06, "PC06")
    before = snapshot()
    response = upload(client, campaign, intake_csv(GOOD))
    assert response.status_code == 200
    body = response.content.decode()
    assert "Xác nhận nhập" in body and response.context["totals"].added == 2
    assert snapshot() == before


def test_confirming_imports_what_was_previewed_once(login, campaign):
    client = login(Role.PC06, "PC06")
    preview = upload(client, campaign, intake_csv(GOOD))
    done = confirm(client, campaign, preview)
    assert done.status_code == 302
    assert IntakeRecord.objects.get(day=DAY, machine__code="M-VTH-01", commune__code="31318").applications == 50
    act = ChangeSet.objects.get(file_name="thu_nhan.csv")
    assert act.actor == "u-pc06-PC06" and act.hash
    # The waiting file is gone: the same confirmation cannot import twice.
    again = confirm(client, campaign, preview)
    assert again.status_code == 400 and "tải tệp lên lại" in again.content.decode()
    assert ChangeSet.objects.filter(file_name="thu_nhan.csv").count() == 1


def test_every_bad_row_is_named_and_nothing_changes(login, campaign, snapshot):
    client = login(Role.PC06, "PC06")
    before = snapshot()
    response = upload(client, campaign, intake_csv(BAD))
    assert response.status_code == 400
    rows = {(e.row, e.column) for e in response.context["report"].errors}
    assert {(2, "so_ho_so"), (3, "ngay"), (4, "ma_xa")} <= rows
    body = response.content.decode()
    assert "chưa nhập gì, cơ sở dữ liệu không thay đổi" in body and "Xác nhận nhập" not in body
    assert snapshot() == before
    listed = client.get(reverse("import_errors", args=[campaign.code, response.context["sha"]]))
    lines = list(csv.reader(io.StringIO(listed.content.decode("utf-8-sig"))))
    assert lines[0] == ["trang", "dong", "cot", "loi"] and len(lines) == 1 + len(response.context["report"].errors)


def test_a_corrected_file_after_errors_imports(login, campaign):
    client = login(Role.PC06, "PC06")
    assert upload(client, campaign, intake_csv(BAD)).status_code == 400
    preview = upload(client, campaign, intake_csv(GOOD))
    assert confirm(client, campaign, preview).status_code == 302
    assert IntakeRecord.objects.filter(day=DAY, machine__code="M-VTH-01").count() == 2


def test_the_same_file_again_has_nothing_new(login, campaign):
    client = login(Role.PC06, "PC06")
    confirm(client, campaign, upload(client, campaign, intake_csv(GOOD)))
    response = upload(client, campaign, intake_csv(GOOD))
    assert response.context["nothing_new"] and "không có gì mới" in response.content.decode()


def test_a_correction_needs_the_box_and_a_reason(login, campaign):
    client = login(Role.PC06, "PC06")
    confirm(client, campaign, upload(client, campaign, intake_csv(GOOD)))
    changed = [["10/03/2021", "M-VTH-01", "31318", "55"]]
    refused = upload(client, campaign, intake_csv(changed))
    assert refused.status_code == 400 and "sửa số liệu" in refused.content.decode()
    no_reason = upload(client, campaign, intake_csv(changed), sua="1")
    assert no_reason.status_code == 400 and "cần ghi lý do" in no_reason.content.decode()
    preview = upload(client, campaign, intake_csv(changed), sua="1", ly_do="Tổ ghi nhầm")
    assert preview.context["totals"].replaced == 1
    assert confirm(client, campaign, preview, sua="1", ly_do="Tổ ghi nhầm").status_code == 302
    assert ChangeSet.objects.get(file_name="thu_nhan.csv", reason="Tổ ghi nhầm").changes.count() == 1


def test_a_file_changed_after_the_preview_is_refused(login, campaign, upload_dir):
    client = login(Role.PC06, "PC06")
    preview = upload(client, campaign, intake_csv(GOOD))
    waiting = next(upload_dir.glob(f"*-{preview.context['sha']}/tep/*"))
    waiting.write_bytes(waiting.read_bytes().replace(b",50", b",51"))
    response = confirm(client, campaign, preview)
    assert response.status_code == 400 and "Tệp đã đổi" in response.content.decode()
    assert not IntakeRecord.objects.filter(day=DAY, machine__code="M-VTH-01").exists()


def test_two_users_previewing_the_same_file_do_not_disturb_each_other(login, campaign):
    first = upload(login(Role.PC06, "PC06"), campaign, intake_csv(GOOD))
    second = upload(login(Role.ADMIN, "PC06"), campaign, intake_csv(GOOD))
    assert first.context["sha"] == second.context["sha"]
    assert confirm(login(Role.PC06, "PC06"), campaign, first).status_code == 302
    # The second preview said "add 2": the rows are there now, so confirming it would do something else than it
    # showed. Refused, nothing written; the fresh preview says there is nothing new.
    again = confirm(login(Role.ADMIN, "PC06"), campaign, second)
    assert again.status_code == 409 and "Số liệu đã thay đổi từ lúc xem trước" in again.content.decode()
    assert again.context["nothing_new"] and again.context.get("token") is None
    assert ChangeSet.objects.filter(file_name="thu_nhan.csv").count() == 1


def test_uploads_nobody_confirmed_are_removed_after_a_day(login, campaign, upload_dir):
    client = login(Role.PC06, "PC06")
    upload(client, campaign, intake_csv(GOOD))
    (old,) = upload_dir.iterdir()
    day_ago = time.time() - 25 * 3600
    os.utime(old, (day_ago, day_ago))
    upload(client, campaign, intake_csv(GOOD[:1]))  # any later upload sweeps
    assert old not in list(upload_dir.iterdir()) and len(list(upload_dir.iterdir())) == 1


def test_someone_elses_preview_cannot_be_confirmed(login, campaign):
    preview = upload(login(Role.PC06, "PC06"), campaign, intake_csv(GOOD))
    other = login(Role.ADMIN, "PC06")
    assert confirm(other, campaign, preview).status_code == 400
    assert other.get(reverse("import_errors", args=[campaign.code, preview.context["sha"]])).status_code == 404
    assert not IntakeRecord.objects.filter(day=DAY, machine__code="M-VTH-01").exists()


def test_data_changed_between_preview_and_confirm_is_reported(login, campaign):
    client = login(Role.PC06, "PC06")
    preview = upload(client, campaign, intake_csv(GOOD))
    # Meanwhile the team enters the same day on its report form.
    report_save(campaign=campaign, team=Unit.objects.get(code="TO-VTH-1"), day=DAY,
                rows=[("M-VTH-01", "31318", 49)], actor="to-vth")
    response = confirm(client, campaign, preview)
    assert response.status_code == 409 and "«49»" in response.content.decode()


def test_a_team_imports_only_its_own_machines(login, campaign, snapshot):
    client = login(Role.TEAM, "TO-VTH-1")
    before = snapshot()
    other = upload(client, campaign, intake_csv([["10/03/2021", "M-NBA-01", "31340", "5"]]))
    assert other.status_code == 400 and "ngoài phạm vi" in other.content.decode()
    assert snapshot() == before
    assert confirm(client, campaign, upload(client, campaign, intake_csv(GOOD))).status_code == 302


def test_a_district_cannot_import_the_campaign_sheets(login, campaign, snapshot):
    client = login(Role.DISTRICT, "CAH-VTH")
    wb = openpyxl.Workbook()
    wb.active.title = "don_vi"
    wb.active.append(HEADERS["don_vi"])
    wb.active.append(["TO-VTH-2", "Tổ số 2", "to", "CAH-VTH", "31324", None])
    buffer = io.BytesIO()
    wb.save(buffer)
    before = snapshot()
    response = upload(client, campaign, SimpleUploadedFile("so-lieu.xlsx", buffer.getvalue()))
    assert response.status_code == 400 and "chỉ được nhập trang thu_nhan" in response.content.decode()
    assert [(e.sheet, e.row) for e in response.context["report"].errors] == [("don_vi", 2)]
    assert snapshot() == before


def test_a_verified_day_is_locked_against_imports(login, campaign):
    client = login(Role.PC06, "PC06")
    confirm(client, campaign, upload(client, campaign, intake_csv(GOOD[:1])))
    DailyReport.objects.create(campaign=campaign, team=Unit.objects.get(code="TO-VTH-1"), day=DAY,
                               status=ReportStatus.VERIFIED)
    added = upload(client, campaign, intake_csv(GOOD))  # the first row is the same, the second is new
    assert added.status_code == 400
    assert [(e.row, e.column) for e in added.context["report"].errors] == [(3, "ngay")]
    assert "đã được xác nhận và khóa" in added.content.decode()
    assert upload(client, campaign, intake_csv(GOOD[:1])).context["nothing_new"]


@pytest.mark.parametrize("role, unit", [(Role.COUNCIL, None), (Role.VIEWER, "PC06")])
def test_read_only_roles_cannot_import(login, campaign, role, unit):
    client = login(role, unit)
    for name in ("import_upload", "import_template"):
        assert client.get(reverse(name, args=[campaign.code])).status_code == 403
    assert upload(client, campaign, intake_csv(GOOD)).status_code == 403
    assert client.post(reverse("import_confirm", args=[campaign.code]), {"sha256": "0" * 64}).status_code == 403


def test_bad_uploads_are_named(login, campaign):
    client = login(Role.PC06, "PC06")
    assert "Chưa chọn tệp" in client.post(reverse("import_upload", args=[campaign.code])).content.decode()
    pdf = upload(client, campaign, SimpleUploadedFile("bao-cao.pdf", b"%PDF-1.4"))
    assert pdf.status_code == 400 and "không phải .xlsx, .zip hay .csv" in pdf.content.decode()
    fake = upload(client, campaign, SimpleUploadedFile("so-lieu.xlsx", b"not a zip"))
    assert fake.status_code == 400 and "so-lieu.xlsx" in fake.content.decode()


def test_the_template_downloads_with_or_without_data(login, campaign):
    client = login(Role.PC06, "PC06")
    for query, has_data in (("", False), ("?du_lieu=1", True)):
        response = client.get(reverse("import_template", args=[campaign.code]) + query)
        assert response.status_code == 200
        wb = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content)))
        assert {"don_vi", "may", "thu_nhan"} <= set(wb.sheetnames)
        assert (wb["don_vi"].max_row > 1) is has_data
    # A team's template never carries the campaign's data.
    response = login(Role.TEAM, "TO-VTH-1").get(reverse("import_template", args=[campaign.code]) + "?du_lieu=1")
    wb = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    assert "don_vi" not in wb.sheetnames and wb["thu_nhan"].max_row == 1


def test_the_import_page_is_linked_for_roles_that_import(login, campaign):
    link = reverse("import_upload", args=[campaign.code])
    assert link in login(Role.TEAM, "TO-VTH-1").get(reverse("campaign_detail", args=[campaign.code])).content.decode()
    assert link not in login(Role.VIEWER, "PC06").get(reverse("campaign_detail", args=[campaign.code])).content.decode()


# --- the confirmation applies exactly what the preview showed (issue 8, point 2) ---------------------------------

CHANGED = [["01/03/2021", "M-VTH-01", "31318", "86"]]  # the base has 85 there


def test_options_posted_with_the_confirmation_must_be_the_previewed_ones(login, campaign, snapshot):
    client = login(Role.PC06, "PC06")
    preview = upload(client, campaign, intake_csv(GOOD))
    before = snapshot()
    response = confirm(client, campaign, preview, sua="1", ly_do="Không xem trước")
    assert response.status_code == 400 and "khác với lúc xem trước" in response.content.decode()
    assert snapshot() == before


def test_a_correction_that_was_never_previewed_is_not_applied(login, campaign, snapshot):
    client = login(Role.PC06, "PC06")
    preview = upload(client, campaign, intake_csv(CHANGED))  # without the box: a conflict, no confirmation offered
    assert preview.status_code == 400 and preview.context.get("token") is None
    assert "Xác nhận nhập</button>" not in preview.content.decode()
    before = snapshot()
    forged = client.post(reverse("import_confirm", args=[campaign.code]),
                         {"sha256": preview.context["sha"], "sua": "1", "ly_do": "Sửa lén"})
    assert forged.status_code == 400 and "không khớp với một bản xem trước" in forged.content.decode()
    assert snapshot() == before
    # What it shows is a fresh preview of that correction, which may then be confirmed as shown.
    assert confirm(client, campaign, forged, sua="1", ly_do="Sửa lén").status_code == 302
    assert IntakeRecord.objects.get(day=dt.date(2021, 3, 1), machine__code="M-VTH-01",
                                    commune__code="31318").applications == 86


def test_a_direct_confirmation_of_a_file_with_errors_says_the_file_has_errors(login, campaign, snapshot):
    client = login(Role.PC06, "PC06")
    preview = upload(client, campaign, intake_csv(BAD))
    assert preview.context.get("token") is None and "Xác nhận nhập</button>" not in preview.content.decode()
    before = snapshot()
    response = client.post(reverse("import_confirm", args=[campaign.code]), {"sha256": preview.context["sha"]})
    body = response.content.decode()
    assert response.status_code == 400 and "Tệp có lỗi" in body and "đã thay đổi" not in body
    assert snapshot() == before


def test_a_token_of_another_preview_or_expired_is_refused(login, campaign, snapshot, monkeypatch):
    from thidua.web import imports

    client = login(Role.PC06, "PC06")
    good = upload(client, campaign, intake_csv(GOOD))
    other = upload(client, campaign, intake_csv(GOOD[:1]))
    before = snapshot()
    swapped = client.post(reverse("import_confirm", args=[campaign.code]),
                          {"sha256": other.context["sha"], "ma": good.context["token"]})
    assert swapped.status_code == 400 and "không khớp" in swapped.content.decode()
    monkeypatch.setattr(imports, "CONFIRM_MAX_AGE", -1)
    expired = confirm(client, campaign, good)
    assert expired.status_code == 400 and "không khớp" in expired.content.decode()
    assert snapshot() == before


def test_rows_added_by_someone_else_since_the_preview_refuse_the_confirmation(login, campaign, snapshot):
    client = login(Role.PC06, "PC06")
    preview = upload(client, campaign, intake_csv(GOOD))
    # Meanwhile the same row, with the same count, arrives by the team's report: no error, but not the plan.
    report_save(campaign=campaign, team=Unit.objects.get(code="TO-VTH-1"), day=DAY,
                rows=[("M-VTH-01", "31318", 50)], actor="to-vth")
    before = snapshot()
    response = confirm(client, campaign, preview)
    assert response.status_code == 409 and "Số liệu đã thay đổi từ lúc xem trước" in response.content.decode()
    assert response.context["totals"].added == 1 and response.context["totals"].unchanged == 1
    assert snapshot() == before


@pytest.mark.parametrize("options", [{}, {"ly_do": "Bổ sung số liệu"}, {"sua": "1", "ly_do": "Tổ ghi nhầm"}],
                         ids=["plain", "reason without correction", "correction"])
def test_the_rendered_confirmation_sends_what_its_preview_signed(login, campaign, options):
    """The confirmation form of the page, posted back as a browser sends it, is accepted: a reason typed without
    ticking «Sửa» is carried as the preview signed it, and recorded with the act."""
    client = login(Role.PC06, "PC06")
    preview = upload(client, campaign, intake_csv(CHANGED if options.get("sua") else GOOD), **options)
    action = reverse("import_confirm", args=[campaign.code])
    done = client.post(action, form_fields(preview.content.decode(), action))
    assert done.status_code == 302, done.context["form_error"]
    assert ChangeSet.objects.get(file_name="thu_nhan.csv").reason == options.get("ly_do", "")


# --- districts and teams import their own template; the preview lists the rows (issue 9, point 1) ---------------

def template_of(client, campaign) -> openpyxl.Workbook:
    """Download the import page's template as the signed-in user."""
    response = client.get(reverse("import_template", args=[campaign.code]))
    assert response.status_code == 200
    return openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content)))


def choices(wb, key: str) -> list:
    """Return the values the drop-down list of a column of thu_nhan offers."""
    column = "ABCD"[HEADERS["thu_nhan"].index(key)]
    dv = next(dv for dv in wb["thu_nhan"].data_validations.dataValidation if str(dv.sqref).startswith(column))
    sheet, cells = dv.formula1.lstrip("=").split("!")
    return [c.value for (c,) in wb[sheet][cells.replace("$", "")] if c.value is not None]


def filled(wb, rows, name="mau-da-dien.xlsx") -> SimpleUploadedFile:
    """Return the workbook with rows added to its thu_nhan sheet, as the browser uploads it."""
    for row in rows:
        wb["thu_nhan"].append(row)
    buffer = io.BytesIO()
    wb.save(buffer)
    return SimpleUploadedFile(name, buffer.getvalue())


@pytest.mark.parametrize("role, unit, machines", [(Role.DISTRICT, "CAH-VTH", ["M-VTH-01"]),
                                                  (Role.TEAM, "TO-NBA-1", ["M-NBA-01", "M-NBA-02"])],
                         ids=["district", "team"])
def test_the_template_of_a_district_or_team_filled_in_thu_nhan_imports(login, campaign, role, unit, machines):
    client = login(role, unit)
    wb = template_of(client, campaign)
    assert choices(wb, "ma_may") == machines
    rows = [[DAY, machine, commune, 5] for machine in choices(wb, "ma_may") for commune in choices(wb, "ma_xa")]
    preview = upload(client, campaign, filled(wb, rows))
    assert preview.status_code == 200, [str(e) for e in preview.context["report"].errors]
    assert {name: c.added for name, c in preview.context["report"].counts.items()} == {"thu_nhan": len(rows)}
    assert confirm(client, campaign, preview).status_code == 302
    assert IntakeRecord.objects.filter(day=DAY, machine__code__in=machines).count() == len(rows)
    assert ChangeSet.objects.get(file_name="mau-da-dien.xlsx").summary["thu_nhan"]["added"] == len(rows)


@pytest.mark.parametrize("role, unit", [(Role.PC06, "PC06"), (Role.DISTRICT, "CAH-VTH")], ids=["PC06", "district"])
def test_the_provincial_template_filled_only_in_thu_nhan_imports_its_empty_sheets_ignored(login, campaign, role,
                                                                                          unit):
    wb = template_of(login(Role.PC06, "PC06"), campaign)
    client = login(role, unit)
    preview = upload(client, campaign, filled(wb, [[DAY, "M-VTH-01", "31318", 7]]))
    body = preview.content.decode()
    assert preview.status_code == 200 and preview.context["totals"].added == 1
    assert "Trang trống (chỉ có dòng tiêu đề), bỏ qua: Đơn vị, Cán bộ, Phân công máy, Dân số trong độ tuổi" in body
    assert "Không phải trang số liệu, bỏ qua: Hướng dẫn, Danh mục" in body
    assert confirm(client, campaign, preview).status_code == 302


def test_the_preview_and_the_csv_list_errors_in_sheet_and_row_order(login, campaign):
    client = login(Role.PC06, "PC06")
    wb = openpyxl.Workbook()
    wb.active.title = "thu_nhan"
    for row in (HEADERS["thu_nhan"], [DAY, "M-VTH-01", "31318", 1500], [DAY, "M-VTH-01", "31321", 600],
                [DAY, "M-NBA-01", "31340", -1]):
        wb.active.append(row)
    units = wb.create_sheet("don_vi")
    for row in (HEADERS["don_vi"], ["TO-X", "Tổ X", "to", "KHONG-CO", None, None],
                ["TO-Y", "Tổ Y", "to_lam_viec", "CAH-VTH", None, None]):
        units.append(row)
    buffer = io.BytesIO()
    wb.save(buffer)
    response = upload(client, campaign, SimpleUploadedFile("so-lieu.xlsx", buffer.getvalue()))
    expected = [("Đơn vị", "2"), ("Đơn vị", "3"), ("Thu nhận hồ sơ", "2"), ("Thu nhận hồ sơ", "3"),
                ("Thu nhận hồ sơ", "4")]
    assert [(e["sheet"], str(e["row"])) for e in response.context["shown_errors"]] == expected
    listed = client.get(reverse("import_errors", args=[campaign.code, response.context["sha"]]))
    lines = list(csv.reader(io.StringIO(listed.content.decode("utf-8-sig"))))[1:]
    assert [(sheet, row) for sheet, row, _column, _message in lines] == [
        ("don_vi", "2"), ("don_vi", "3"), ("thu_nhan", "2"), ("thu_nhan", "3"), ("thu_nhan", "4")]


def test_the_preview_lists_the_first_hundred_rows_with_the_totals(login, campaign):
    client = login(Role.PC06, "PC06")
    rows = [[f"{DAY + dt.timedelta(days=i):%d/%m/%Y}", "M-VTH-01", commune, "3"]
            for i in range(75) for commune in ("31318", "31321")]
    response = upload(client, campaign, intake_csv(rows))
    planned = response.context["planned"]
    assert len(planned) == 100 and [p["row"] for p in planned] == list(range(2, 102))
    commune = AdminUnit.objects.communes_of(campaign.structure, campaign.province_code).get(code="31318")
    assert planned[0]["key"] == f"10/03/2021 · máy M-VTH-01 · {commune.name} (31318)"
    assert planned[0]["added"] and planned[0]["values"] == [("Số hồ sơ thu nhận", None, "3")]
    body = response.content.decode()
    assert "100 dòng đầu trong 150 dòng sẽ thêm hoặc sửa" in body
    assert response.context["sheets"] == [("Thu nhận hồ sơ", response.context["report"].counts["thu_nhan"])]
    assert response.context["totals"].added == 150


def test_the_preview_shows_a_changed_row_before_and_after(login, campaign):
    client = login(Role.PC06, "PC06")
    response = upload(client, campaign, intake_csv(CHANGED + GOOD), sua="1", ly_do="Tổ ghi nhầm")
    (changed, *added) = response.context["planned"]
    assert not changed["added"] and changed["values"] == [("Số hồ sơ thu nhận", "85", "86")]
    assert len(added) == 2 and "<del>85</del> → <strong>86</strong>" in response.content.decode()


def test_the_preview_names_sheets_by_their_labels(login, campaign):
    body = upload(login(Role.PC06, "PC06"), campaign, intake_csv(GOOD)).content.decode()
    assert "<td>Thu nhận hồ sơ</td>" in body and "thu_nhan</span>" not in body
