"""Faults the site cannot help but must answer cleanly (issue 12, point 4): a database that does not answer is a 503
page in Vietnamese, or a 503 in the API's error shape, never a 500 with a traceback and never half an act; a full
disk is a 507 with nothing kept, neither the partial file nor a row.

The database's failure is made with Django's own hook on every query (`connection.execute_wrapper`), at the
statement the test names: the request then meets the error exactly where a dropped connection would raise it.
The full disk is the raw file write raising ENOSPC (tests/full_disk.py). The same faults on a real PostgreSQL
stopped and started under traffic: bench/bench_faults.py and tests/test_fault_processes.py.
"""

import errno
import json
import shutil
import subprocess

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.db import InterfaceError, OperationalError, ProgrammingError, connection
from django.test import Client
from django.urls import reverse
from full_disk import full_disk
from test_appeals import WITHIN, png
from test_import_page import GOOD, intake_csv, upload

from thidua.accounts.models import Role
from thidua.accounts.services import user_create
from thidua.api.errors import MESSAGES
from thidua.api.services import token_create
from thidua.audit.models import ChangeSet
from thidua.awards.models import Appeal, Evidence
from thidua.campaigns import clock
from thidua.campaigns.models import Status
from thidua.intake.models import DailyReport, IntakeRecord
from thidua.lib.storage import DISK_FULL
from thidua.units.models import Unit

pytestmark = pytest.mark.django_db
C = "hau-giang-2021"
DAY = "2021-03-10"
DATABASE_PAGE = ("Cơ sở dữ liệu tạm thời không trả lời",
                 "Số liệu bạn vừa gửi chưa được ghi nếu trang chưa báo đã lưu; thử lại sau ít phút.")


def failing(table: str, error=OperationalError, verbs=("SELECT", "INSERT", "UPDATE", "DELETE")):
    """Return a query wrapper raising `error` on the first statement of those verbs that names `table`, as a
    connection lost at that moment raises it (Django's wrapped OperationalError or InterfaceError)."""
    met = []

    def wrapper(execute, sql, params, many, context):
        if f'"{table}"' in sql and sql.lstrip().upper().startswith(verbs):
            met.append(sql)
            raise error("server closed the connection unexpectedly")
        return execute(sql, params, many, context)

    wrapper.met = met
    return wrapper


def acts() -> int:
    return ChangeSet.objects.count()


def assert_database_page(response):
    body = response.content.decode()
    assert response.status_code == 503 and response["Retry-After"].isdigit()
    assert all(text in body for text in DATABASE_PAGE), body
    assert "Traceback" not in body and "OperationalError" not in body and "InterfaceError" not in body


# --- a database that does not answer: pages -------------------------------------------------------------------

@pytest.mark.parametrize("error", [OperationalError, InterfaceError])
def test_a_page_whose_query_fails_for_want_of_the_database_is_a_503_in_vietnamese(login, campaign, error):
    client = login(Role.PC06, "PC06")
    wrapper = failing("intake_intakerecord", error)
    with connection.execute_wrapper(wrapper):
        response = client.get(reverse("campaign_detail", args=[C]))
    assert wrapper.met, "the page never read the intake: pick a table it reads"
    assert_database_page(response)


def test_a_day_saved_while_the_database_goes_away_writes_nothing(login, campaign):
    client = login(Role.TEAM, "TO-VTH-1")
    url = reverse("report_day", args=[C, "TO-VTH-1", DAY])
    records, before = IntakeRecord.objects.count(), acts()
    # The act has begun (the records are written) when the history's row fails: all of it is rolled back.
    wrapper = failing("audit_change", verbs=("INSERT",))
    with connection.execute_wrapper(wrapper):
        response = client.post(url, {"n-M-VTH-01-31318": "90", "action": "submit"})
    assert wrapper.met
    assert_database_page(response)
    assert (IntakeRecord.objects.count(), acts()) == (records, before)
    assert not DailyReport.objects.filter(team__code="TO-VTH-1", day=DAY).exists()
    assert client.post(url, {"n-M-VTH-01-31318": "90", "action": "submit"}).status_code == 302


def test_a_session_the_database_cannot_read_is_a_503_too(login, campaign):
    # The user is read in a middleware, before any view: Django has made it a 500 by the time it comes back out.
    client = login(Role.PC06, "PC06")
    plain = Client(raise_request_exception=False)
    plain.cookies = client.cookies
    with connection.execute_wrapper(failing("django_session")):
        response = plain.get(reverse("campaign_detail", args=[C]))
    assert_database_page(response)


def test_other_errors_of_the_database_stay_500s(login, campaign):
    client = login(Role.PC06, "PC06")
    plain = Client(raise_request_exception=False)
    plain.cookies = client.cookies
    with connection.execute_wrapper(failing("intake_intakerecord", ProgrammingError)):
        response = plain.get(reverse("campaign_detail", args=[C]))
    assert response.status_code == 500


# --- a database that does not answer: the API -----------------------------------------------------------------

@pytest.fixture
def token(campaign):
    user = user_create(username="api-pc06", password="Mat-khau-2021", role=Role.PC06, actor="kiem-thu",
                       unit=Unit.objects.get(campaign=campaign, code="PC06"))
    return token_create(user=user, name="kiểm thử", actor="kiem-thu")[1]


def api_post(token, path, body):
    return Client().post(f"/api/v1{path}", json.dumps(body), content_type="application/json",
                         headers={"Authorization": f"Bearer {token}"})


def assert_api_503(response):
    assert response.status_code == 503 and response["Retry-After"].isdigit()
    assert response.json() == {"loi": {"ma": "co_so_du_lieu_khong_tra_loi", "thong_diep": MESSAGES[503],
                                       "chi_tiet": []}}


@pytest.mark.parametrize("error", [OperationalError, InterfaceError])
def test_an_api_read_without_the_database_is_a_503_in_the_error_shape(token, error):
    with connection.execute_wrapper(failing("intake_intakerecord", error)):
        response = Client().get(f"/api/v1/campaigns/{C}/intake", headers={"Authorization": f"Bearer {token}"})
    assert_api_503(response)


def test_an_api_intake_cut_off_by_the_database_writes_nothing_and_goes_through_again(token):
    rows = {"rows": [{"ngay": DAY, "ma_may": "M-VTH-01", "ma_xa": "31318", "so_ho_so": 90}]}
    records, before = IntakeRecord.objects.count(), acts()
    with connection.execute_wrapper(failing("audit_change", verbs=("INSERT",))):
        response = api_post(token, f"/campaigns/{C}/intake", rows)
    assert_api_503(response)
    assert (IntakeRecord.objects.count(), acts()) == (records, before)
    assert api_post(token, f"/campaigns/{C}/intake", rows).status_code == 200
    assert (IntakeRecord.objects.count(), acts()) == (records + 1, before + 1)


def test_the_token_check_without_the_database_is_a_503_not_a_401(token):
    with connection.execute_wrapper(failing("api_apitoken")):
        response = Client().get(f"/api/v1/campaigns/{C}", headers={"Authorization": f"Bearer {token}"})
    assert_api_503(response)


# --- a full disk ----------------------------------------------------------------------------------------------

@pytest.fixture
def upload_dir(settings, tmp_path):
    settings.THIDUA_UPLOAD_DIR = tmp_path / "uploads"
    return settings.THIDUA_UPLOAD_DIR


def files_under(folder) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file() and p.name != ".lock")


def assert_disk_page(response):
    body = response.content.decode()
    assert response.status_code == 507 and DISK_FULL in body and "Traceback" not in body, body
    assert "Retry-After" not in response


@pytest.mark.parametrize(("room", "code"), [(0, errno.ENOSPC), (300, errno.ENOSPC), (300, errno.EDQUOT)])
def test_an_upload_to_import_on_a_full_disk_is_a_507_and_leaves_no_file(login, campaign, upload_dir, monkeypatch,
                                                                          room, code):
    client = login(Role.PC06, "PC06")
    big = [["10/03/2021", "M-VTH-01", "31318", str(n)] for n in range(60)]  # a file larger than the room left
    before = acts()
    with full_disk(monkeypatch, upload_dir, room=room, code=code):
        response = upload(client, campaign, intake_csv(big))
    assert_disk_page(response)
    assert files_under(upload_dir) == [] and acts() == before
    assert upload(client, campaign, intake_csv(GOOD)).status_code == 200


def test_an_upload_whose_error_list_finds_the_disk_full_keeps_nothing_either(login, campaign, upload_dir,
                                                                              monkeypatch):
    client = login(Role.PC06, "PC06")
    bad = [["10/03/2021", "M-VTH-01", "31318", "-5"]] * 40
    size = len(intake_csv(bad).read())
    # Room for the uploaded file and its note, not for the list of its errors written after the preview.
    with full_disk(monkeypatch, upload_dir, room=size + 100):
        response = upload(client, campaign, intake_csv(bad))
    assert_disk_page(response)
    assert files_under(upload_dir) == []


@pytest.fixture
def published_appeal_client(campaign, client, settings, tmp_path):
    from lifecycle import advance_to

    settings.DATA_DIR = tmp_path / "data"
    advance_to(campaign, Status.PUBLISHED)
    user = user_create(username="p-nba", password="Mat-khau-2021", role=Role.DISTRICT, actor="kiem-thu",
                       unit=Unit.objects.get(campaign=campaign, code="CAH-NBA"))
    client.force_login(user)
    return client


def test_evidence_of_an_appeal_on_a_full_disk_is_a_507_with_no_appeal_and_no_file(published_appeal_client, settings,
                                                                                   monkeypatch):
    form = {"loai": "day", "to": "TO-NBA-1", "ngay": "02/03/2021", "may": "", "xa": "", "so_mong_muon": "1500",
            "cach_tinh": "", "ly_do": "Sổ tiếp nhận"}
    before = acts()
    evidence_dir = settings.DATA_DIR / "evidence"
    with clock.at(WITHIN), full_disk(monkeypatch, settings.DATA_DIR, room=20):
        response = published_appeal_client.post(reverse("appeal_file", args=[C]),
                                                 {**form, "tep": [SimpleUploadedFile("so.png", png())]})
    assert_disk_page(response)
    assert not Appeal.objects.exists() and not Evidence.objects.exists() and acts() == before
    assert files_under(evidence_dir) == [] if evidence_dir.exists() else True
    with clock.at(WITHIN):
        response = published_appeal_client.post(reverse("appeal_file", args=[C]),
                                                 {**form, "tep": [SimpleUploadedFile("so.png", png())]})
    assert response.status_code == 302 and Evidence.objects.count() == 1


def test_a_backup_on_a_full_disk_says_so_and_leaves_no_partial_file(committed_campaign, tmp_path, monkeypatch):
    # committed: the backup reads in a transaction of its own
    target = tmp_path / "sao-luu" / "ban.zip"
    target.parent.mkdir()
    with full_disk(monkeypatch, target.parent, room=4096), pytest.raises(CommandError) as refused:
        call_command("backup", str(target))
    assert DISK_FULL in str(refused.value)
    assert list(target.parent.iterdir()) == []


# --- a real full filesystem, where one can be mounted ----------------------------------------------------------

@pytest.fixture
def small_disk(tmp_path):
    """Return a folder on a tmpfs of 64 KiB, mounted for the test (root only: skipped elsewhere)."""
    folder = tmp_path / "disk"
    folder.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(folder)], capture_output=True,
                             text=True, check=False) if shutil.which("mount") else None
    if mounted is None or mounted.returncode != 0:
        pytest.skip("mounting a small tmpfs needs root (the mocked full disk above covers the same paths)")
    try:
        yield folder
    finally:
        subprocess.run(["umount", str(folder)], check=True)


def test_an_upload_filling_a_real_small_filesystem_is_a_507_and_leaves_it_empty(login, campaign, settings,
                                                                                 small_disk):
    settings.THIDUA_UPLOAD_DIR = small_disk / "uploads"
    client = login(Role.PC06, "PC06")
    rows = [["10/03/2021", "M-VTH-01", "31318", str(n)] for n in range(4000)]  # about 130 KB
    response = upload(client, campaign, intake_csv(rows))
    assert_disk_page(response)
    assert files_under(small_disk) == []
    assert upload(client, campaign, intake_csv(GOOD)).status_code == 200
