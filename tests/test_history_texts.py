"""The history read in Vietnamese: every kind of act, on the audit list, on its own page and in a record's history,
shows labels, names and formatted values, never the stored field names, codes of choices, ISO dates or keys."""

import dataclasses
import datetime as dt
import re
from html.parser import HTMLParser

import pytest
from conftest import HEADERS
from django.urls import reverse

from thidua.accounts.models import Role
from thidua.accounts.services import user_create, user_update, users_import
from thidua.api.services import token_create
from thidua.audit.labels import FIELDS
from thidua.audit.models import ChangeSet
from thidua.awards.services import campaign_advance
from thidua.campaigns.models import Status
from thidua.campaigns.services import campaign_init
from thidua.intake.models import DailyReport
from thidua.intake.services import report_reopen, report_save, report_submit, report_verify
from thidua.units.models import Unit

pytestmark = pytest.mark.django_db
DAY = dt.date(2021, 3, 10)
COUNT_KEY = f"{DAY.isoformat()}|M-VTH-01|31318"

# What a reader must never see: the stored names of fields, the stored values of choices, Python's values.
FIELD_NAMES = sorted({name for fields in FIELDS.values() for name in fields} - {"name", "user", "unit", "status"})
STORED_VALUES = ["submitted", "verified", "draft", "running", "quan_tri", "cong_an_huyen", "one_time", "legacy",
                 "scored", "nomination", "True", "False", "None", "init-campaign", "load-territory"]


class _Text(HTMLParser):
    """The text a reader sees: no tags, attributes (links), scripts or styles."""

    def __init__(self):
        super().__init__()
        self.parts, self.hidden = [], 0

    def handle_starttag(self, tag, attrs):
        self.hidden += tag in ("script", "style")

    def handle_endtag(self, tag):
        self.hidden -= tag in ("script", "style")

    def handle_data(self, data):
        if not self.hidden:
            self.parts.append(data)


def seen(response) -> str:
    assert response.status_code == 200
    parser = _Text()
    parser.feed(response.content.decode())
    return " ".join(" ".join(parser.parts).split())


def assert_readable(text: str) -> None:
    """Assert a page's text holds no field name, stored value, ISO date or stored key."""
    for word in [*FIELD_NAMES, *STORED_VALUES, "status"]:
        assert not re.search(rf"(?<![\w-]){re.escape(word)}(?![\w-])", text), word
    assert not re.search(r"\d{4}-\d{2}-\d{2}", text), re.search(r".{40}\d{4}-\d{2}-\d{2}.{40}", text)
    assert "|" not in text, text[max(0, text.index("|") - 60):text.index("|") + 60]
    assert "Bản ghi 0" not in text and "Chưa có thay đổi nào được ghi" not in text


@pytest.fixture
def people(campaign):
    """A team's clerk and a district's officer, with full names."""
    unit = {code: Unit.objects.get(campaign=campaign, code=code) for code in ("TO-VTH-1", "CAH-VTH", "PC06")}
    return {
        "to": user_create(username="thu-ky-vth", password="Mat-khau-2021", role=Role.TEAM, unit=unit["TO-VTH-1"],
                          full_name="Nguyễn Văn An", actor="kiem-thu"),
        "huyen": user_create(username="huyen-vth", password="Mat-khau-2021", role=Role.DISTRICT,
                             unit=unit["CAH-VTH"], full_name="Trần Thị Bình", actor="kiem-thu"),
        "pc06": user_create(username="pc06-lan", password="Mat-khau-2021", role=Role.PC06, unit=unit["PC06"],
                            full_name="Lê Thị Lan", actor="kiem-thu"),
    }


@pytest.fixture
def reopened_day(campaign, people):
    """A team's day entered, submitted late, verified, reopened with a reason, then corrected above a thousand."""
    team = Unit.objects.get(campaign=campaign, code="TO-VTH-1")
    report_save(campaign=campaign, team=team, day=DAY, rows=[("M-VTH-01", "31318", 40)], actor="thu-ky-vth")
    report_submit(campaign=campaign, team=team, day=DAY, actor="thu-ky-vth",
                  now=dt.datetime(2021, 3, 11, 8, 0, tzinfo=dt.UTC))
    report = DailyReport.objects.get(team=team, day=DAY)
    report_verify(report=report, actor="huyen-vth")
    report_reopen(report=report, actor="pc06-lan", reason="Tổ báo thiếu hồ sơ buổi chiều")
    report_save(campaign=campaign, team=team, day=DAY, rows=[("M-VTH-01", "31318", 1200)], actor="thu-ky-vth",
                reason="Cộng hồ sơ buổi chiều")
    return team


def act_page(client, **where):
    act = ChangeSet.objects.filter(**where).latest("id")
    return seen(client.get(reverse("audit_act", args=[act.id])))


def test_a_reopened_day_reads_as_statuses_people_and_dates(login, campaign, reopened_day):
    client = login(Role.PC06, "PC06")
    text = seen(client.get(reverse("team_day_history", args=[campaign.code, "TO-VTH-1", DAY.isoformat()])))
    assert "Trạng thái: Đang nhập → Đã gửi, chờ xác nhận" in text
    assert "Trạng thái: Đã xác nhận (khóa) → Đang nhập" in text
    assert "Trễ hạn: không → có" in text
    assert "Người gửi: — → Nguyễn Văn An (thu-ky-vth)" in text
    assert "Người xác nhận: — → Trần Thị Bình (huyen-vth)" in text
    assert "Lúc gửi: — → 11/03/2021 15:00" in text  # the local time of the sending
    assert "Lý do: Tổ báo thiếu hồ sơ buổi chiều" in text
    assert_readable(text)


def test_a_correction_reads_as_the_count_by_name_with_thousands(login, campaign, reopened_day):
    client = login(Role.PC06, "PC06")
    text = act_page(client, actor="thu-ky-vth", reason="Cộng hồ sơ buổi chiều")
    assert "Số liệu thu nhận 10/03/2021 · máy M-VTH-01 · Phường I" in text
    assert "Số hồ sơ: 40 → 1.200" in text
    assert "Người thực hiện Nguyễn Văn An (thu-ky-vth)" in text
    assert_readable(text)
    history = seen(client.get(reverse("record_history", args=[campaign.code]),
                              {"doi_tuong": "thu_nhan", "khoa": COUNT_KEY}))
    assert "Lịch sử: Số liệu thu nhận: 10/03/2021 · máy M-VTH-01 · Phường I" in history
    assert "Số hồ sơ: 40" in history and "Số hồ sơ: 40 → 1.200" in history
    assert_readable(history)


def test_the_audit_list_says_who_and_what_of_each_report_step(login, reopened_day):
    text = seen(login(Role.PC06, "PC06").get(reverse("audit_list")))
    assert "Lê Thị Lan (pc06-lan)" in text
    assert ("Báo cáo ngày: Tổ cấp CCCD lưu động số 1 Vị Thanh · 10/03/2021 — Trạng thái: Đã xác nhận (khóa) → Đang "
            "nhập") in text
    assert "Lý do: Tổ báo thiếu hồ sơ buổi chiều" in text
    assert_readable(text)


def test_the_audit_list_finds_a_person_by_full_name_and_a_record_by_day(login, reopened_day):
    client = login(Role.PC06, "PC06")
    by_name = client.get(reverse("audit_list"), {"nguoi": "Thị Lan"}).context["rows"]
    assert {r.act.actor for r in by_name} == {"pc06-lan"}
    by_day = client.get(reverse("audit_list"), {"khoa": "10/03/2021", "doi_tuong": "bao_cao"}).context["rows"]
    assert len(by_day) == 3  # sent, verified, reopened


@pytest.fixture
def counts_import(campaign, write_source, run_import):
    """An import that adds five counts and corrects none."""
    rows = [HEADERS["thu_nhan"], *[[DAY + dt.timedelta(days=n), "M-VTH-01", "31321", 10 + n] for n in range(5)]]
    report = run_import(write_source({"thu_nhan": rows}, "xlsx"))
    assert report.ok
    return ChangeSet.objects.get(pk=report.changeset_id)


def test_an_import_of_counts_says_what_it_added_with_links_to_each(login, campaign, counts_import):
    response = login(Role.PC06, "PC06").get(reverse("audit_act", args=[counts_import.id]))
    text = seen(response)
    assert "Số bản ghi thêm hoặc sửa 5" in text
    assert "Số liệu thu nhận 5 0 0" in text  # added, changed, unchanged
    assert "Số liệu thu nhận được thêm (5)" in text
    assert "10/03/2021 · máy M-VTH-01 · Phường III Tổ cấp CCCD lưu động số 1 Vị Thanh 10" in text
    link = "?doi_tuong=thu_nhan&amp;khoa=2021-03-10%7CM-VTH-01%7C31321"
    assert reverse("record_history", args=[campaign.code]) + link in response.content.decode()
    assert "Các bản ghi thêm hoặc sửa" not in text
    assert_readable(text)


def test_an_import_of_counts_reads_on_the_audit_list_as_what_it_added(login, counts_import):
    response = login(Role.PC06, "PC06").get(reverse("audit_list"))
    row = next(r for r in response.context["rows"] if r.act == counts_import)
    assert row.records == 5 and row.gist == "Số liệu thu nhận: thêm 5"
    assert_readable(seen(response))


def test_the_counts_an_import_added_are_paged_with_more_to_see(login, counts_import, monkeypatch):
    from thidua.web import audit

    monkeypatch.setattr(audit, "CREATED_PER_PAGE", 2)
    client = login(Role.PC06, "PC06")
    first = client.get(reverse("audit_act", args=[counts_import.id]))
    assert [c.record[:10] for c in first.context["view"].created] == ["10/03/2021", "11/03/2021"]
    assert "Xem thêm" in seen(first) and "1–2 trong 5" in seen(first)
    last = client.get(reverse("audit_act", args=[counts_import.id]), {"them": 3})
    assert [c.record[:10] for c in last.context["view"].created] == ["14/03/2021"]


def test_a_count_corrected_after_its_import_shows_its_value_when_added(login, counts_import, campaign):
    team = Unit.objects.get(campaign=campaign, code="TO-VTH-1")
    report_save(campaign=campaign, team=team, day=DAY, rows=[("M-VTH-01", "31321", 25)], actor="kiem-thu")
    created = login(Role.PC06, "PC06").get(reverse("audit_act", args=[counts_import.id])).context["view"].created
    assert created[0].applications == 10


def test_a_workbook_import_reads_per_sheet_with_kinds_parents_and_areas(login, campaign, write_source, run_import):
    rows = [HEADERS["don_vi"], ["TO-VTH-2", "Tổ cấp CCCD lưu động số 2 Vị Thanh", "to", "CAH-VTH", "31318;31321",
                                None]]
    officers = [HEADERS["can_bo"], ["CB-009", "Phạm Văn Dũng", "TO-VTH-2", "Thiếu úy", "Tổ viên", "co"]]
    assert run_import(write_source({"don_vi": rows, "can_bo": officers}, "xlsx")).ok
    text = act_page(login(Role.PC06, "PC06"), file_name__startswith="so-lieu")
    assert "Đơn vị 1 0 0" in text and "Cán bộ 1 0 0" in text
    assert "Đơn vị Tổ cấp CCCD lưu động số 2 Vị Thanh (TO-VTH-2)" in text
    assert "Loại đơn vị: Tổ (tổ cấp CCCD lưu động)" in text
    assert "Đơn vị cấp trên: Công an thành phố Vị Thanh (CAH-VTH)" in text
    assert "Địa bàn phụ trách: Phường I, Phường III" in text
    assert "Cán bộ Phạm Văn Dũng (CB-009)" in text and "Trực tiếp cấp CCCD: có" in text
    assert_readable(text)


def test_the_base_import_reads_assignments_and_population(login):
    text = act_page(login(Role.PC06, "PC06"), file_name="co-so.xlsx")
    assert "Máy và phân công máy M-NBA-01 · từ 01/03/2021" in text
    assert "Đến ngày: 31/05/2021" in text and "Chỉ tiêu (tổng): 9.000" in text
    assert "Dân số trong độ tuổi Phường I" in text and "Số người trong độ tuổi cấp CCCD: 6.200" in text
    assert "Số liệu thu nhận được thêm (5)" in text
    assert_readable(text)


def test_a_users_import_reads_as_people_roles_and_units(login, campaign, people):
    data = ("ten_dang_nhap,ho_ten,vai_tro,ma_don_vi,hoat_dong\r\n"
            "moi_nba,Đỗ Văn Mới,to,TO-NBA-1,co\r\nhuyen-vth,Trần Thị Bình,cong_an_huyen,CAH-NBA,co\r\n").encode()
    report = users_import(campaign=campaign, data=data, file_name="nguoi-dung.csv", actor="pc06-lan",
                          reason="Chuyển công tác")
    assert report.ok, report.errors
    client = login(Role.ADMIN, "PC06")
    text = act_page(client, pk=report.changeset_id)
    assert "Người dùng 1 1" in text
    assert "Người dùng và vai trò Đỗ Văn Mới (moi_nba)" in text and "Vai trò: Tổ" in text
    assert "Đơn vị: Tổ cấp CCCD lưu động số 1 Ngã Bảy (TO-NBA-1)" in text
    assert "Mật khẩu: cấp mật khẩu dùng một lần" in text
    assert ("Đơn vị: Công an thành phố Vị Thanh (CAH-VTH) → Công an thành phố Ngã Bảy (CAH-NBA)") in text
    assert_readable(text)
    row = next(r for r in client.get(reverse("audit_list")).context["rows"] if r.act.pk == report.changeset_id)
    assert row.gist == "Người dùng: thêm 1, sửa 1"


def test_a_users_history_reads_as_labels_and_names(login, client, campaign, people):
    user_update(user=people["to"], full_name="Nguyễn Văn An", role=Role.VIEWER,
                unit=Unit.objects.get(campaign=campaign, code="PC06"), actor="pc06-lan", reason="Nghỉ phép",
                active=False)
    login(Role.ADMIN, "PC06")
    text = seen(client.get(reverse("user_history", args=[people["to"].pk])))
    assert "Lịch sử của Nguyễn Văn An (thu-ky-vth)" in text
    assert "Lê Thị Lan (pc06-lan)" in text
    assert "Vai trò: Tổ → Xem" in text and "Hoạt động: có → không" in text
    assert ("Đơn vị: Tổ cấp CCCD lưu động số 1 Vị Thanh (TO-VTH-1) → Phòng Cảnh sát quản lý hành chính về trật tự xã "
            "hội (PC06)") in text
    assert_readable(text)


def test_the_territory_act_reads_as_what_was_loaded(login):
    text = act_page(login(Role.COUNCIL, None), campaign__isnull=True, summary__has_key="territory")
    assert "Nạp danh mục địa bàn hành chính" in text
    assert re.search(r"Nạp địa bàn hành chính \(Trước 2025 \(63 tỉnh, 3 cấp\)\) của Tỉnh Hậu Giang: thêm \d+", text)
    assert_readable(text)


def test_campaign_settings_and_status_read_as_labels(login, campaign):
    config = dataclasses.replace(campaign.config, max_per_machine_day=1500)
    campaign_init(config=config, actor="pc06-lan", reason="Giảm mức tối đa")
    campaign_advance(campaign=campaign, to=Status.RUNNING, actor="pc06-lan", reason="Phát động")
    client = login(Role.PC06, "PC06")
    settings = act_page(client, reason="Giảm mức tối đa")
    assert "Số hồ sơ tối đa của một máy trong một ngày: 2.000 → 1.500" in settings
    assert "max_per_machine_day" not in settings
    assert_readable(settings)
    status = act_page(client, reason="Phát động")
    assert "Trạng thái đợt thi đua" in status and "Trạng thái: Dự thảo → Đang diễn ra" in status
    assert_readable(status)
    created = act_page(client, reason="init-campaign")
    assert "Nạp cài đặt đợt thi đua từ tệp cài đặt" in created
    assert "Nhóm «Công an cấp huyện» · Hạng Nhất · Tiền thưởng: 10.000.000 đ" in created
    assert "Mỗi bước vượt chỉ tiêu: 5%" in created and "Ngày bắt đầu: 25/02/2021" in created
    assert_readable(created)


def test_an_api_key_reads_as_its_owner_and_a_short_hash(login, people):
    token, _ = token_create(user=people["to"], name="máy tính bảng", actor="pc06-lan")
    text = act_page(login(Role.PC06, "PC06"), changes__key=token.prefix)
    assert "Tài khoản: Nguyễn Văn An (thu-ky-vth)" in text and "Tên: máy tính bảng" in text
    assert f"Mã băm của khóa: {token.secret_hash[:12]}…" in text and token.secret_hash not in text
    assert_readable(text)


def test_the_days_page_names_who_sent_and_verified(login, campaign, people):
    team = Unit.objects.get(campaign=campaign, code="TO-VTH-1")
    report_submit(campaign=campaign, team=team, day=DAY, actor="thu-ky-vth")
    report_verify(report=DailyReport.objects.get(team=team, day=DAY), actor="huyen-vth")
    text = seen(login(Role.PC06, "PC06").get(reverse("report_day", args=[campaign.code, "TO-VTH-1",
                                                                         DAY.isoformat()])))
    assert "Gửi lần đầu bởi Nguyễn Văn An (thu-ky-vth) lúc" in text
    assert "Xác nhận bởi Trần Thị Bình (huyen-vth) lúc" in text


# --- bounded reads ----------------------------------------------------------------------------------------------

def queries(client, url: str) -> int:
    """Return how many queries a page takes."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


def more_acts(campaign, start: int, n: int) -> None:
    """Add acts of several kinds: entered and sent days, users created."""
    team = Unit.objects.get(campaign=campaign, code="TO-VTH-1")
    for i in range(start, start + n):
        day = DAY + dt.timedelta(days=i + 1)
        report_save(campaign=campaign, team=team, day=day, rows=[("M-VTH-01", "31318", 50 + i)], actor="thu-ky-vth")
        report_submit(campaign=campaign, team=team, day=day, actor="thu-ky-vth")
        user_create(username=f"xem-{i}", password="Mat-khau-2021", role=Role.VIEWER, full_name=f"Người xem {i}",
                    unit=team, actor="pc06-lan")


def test_the_audit_list_takes_as_many_queries_for_many_acts_as_for_few(login, campaign, reopened_day,
                                                                      counts_import):
    client = login(Role.PC06, "PC06")
    more_acts(campaign, 0, 2)
    few = queries(client, reverse("audit_list"))
    more_acts(campaign, 2, 20)
    assert queries(client, reverse("audit_list")) == few <= 14


def _import_act(run_import, write_source, size: int, start: int) -> int:
    units = [HEADERS["don_vi"], *[[f"TO-X-{start + n}", f"Tổ {n}", "to", "CAH-NBA", "31340", None]
                                  for n in range(size)]]
    counts = [HEADERS["thu_nhan"], *[[DAY + dt.timedelta(days=start + n), "M-NBA-02", "31340", 5]
                                     for n in range(size)]]
    report = run_import(write_source({"don_vi": units, "thu_nhan": counts}, "xlsx"))
    assert report.ok, [str(e) for e in report.errors]
    return report.changeset_id


def test_an_acts_page_takes_as_many_queries_for_many_records_as_for_few(login, write_source, run_import):
    client = login(Role.PC06, "PC06")
    few = queries(client, reverse("audit_act", args=[_import_act(run_import, write_source, 2, 0)]))
    many = queries(client, reverse("audit_act", args=[_import_act(run_import, write_source, 60, 2)]))
    assert many == few <= 16


def test_the_labels_read_in_english_by_the_footers_switch(login, campaign, reopened_day, settings):
    client = login(Role.PC06, "PC06")
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    text = seen(client.get(reverse("team_day_history", args=[campaign.code, "TO-VTH-1", DAY.isoformat()])))
    assert "Status: Verified" in text and "Late: no → yes" in text and "Applications: 40 → 1.200" in text


@pytest.mark.parametrize("summary, said", [
    ({"audit_key": {"reauthenticated": 1234}}, "Đổi khóa nhật ký: xác thực lại 1.234 mục bằng khóa mới."),
    ({"baseline": "accounts"}, "Ghi bù vào nhật ký các tài khoản có từ trước khi nhật ký ghi tài khoản."),
    ({"baseline": "all"}, "Ghi bù vào nhật ký các bản ghi như đang có (phiên bản trước ghi thiếu)."),
])
def test_an_act_of_the_history_itself_reads_in_words(login, summary, said):
    act = ChangeSet.objects.create(actor="quan-tri-he-thong", source="cli", reason="Đổi khóa định kỳ", summary=summary)
    client = login(Role.COUNCIL, None)
    assert said in act_page(client, pk=act.pk)
    text = seen(client.get(reverse("audit_list")))
    assert said in text and "Chưa có thay đổi nào được ghi" not in text
    assert_readable(text)


def test_the_steps_after_the_deadline_read_as_words(login, campaign):
    from lifecycle import advance_to

    advance_to(campaign, Status.PROPOSED)
    client = login(Role.PC06, "PC06")
    approved = act_page(client, reason="Duyệt thang điểm")
    assert "Hội đồng TĐKT duyệt thang điểm: người duyệt: hoidong" in approved
    assert_readable(approved)
    scored = act_page(client, changes__entity="ket_qua_chot")
    assert "Bản chốt kết quả" in scored and "Tính đến ngày: 01/07/2021" in scored and "Bản 1" in scored
    assert "Trạng thái: Đã kết thúc → Đã chấm điểm" in scored
    assert_readable(scored)
    published = act_page(client, changes__after__status="published")
    assert "Ngày công bố kết quả: 04/07/2021" in published and "Hạn cuối khiếu nại: 09/07/2021" in published
    assert_readable(published)
    proposed = act_page(client, changes__after__status="proposed")
    assert "Số Tờ trình: 15" in proposed and "Ngày Tờ trình: 10/07/2021" in proposed
    assert_readable(proposed)
