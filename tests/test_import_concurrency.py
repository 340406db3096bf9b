"""The import page under real concurrency: the same file sent several times at once, a confirmation clicked twice.
Each request runs in a thread of its own with its own database connection, as a threaded server's would, on data
committed beforehand (transactional tests). Nothing answers a server error, nothing is counted twice, and the click
that loses is told in Vietnamese what happened."""

import csv
import datetime as dt
import io
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from conftest import HEADERS, form_fields
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, transaction
from django.test import Client
from django.urls import reverse

from thidua.accounts.models import Role
from thidua.accounts.services import user_create
from thidua.audit.models import ChangeSet
from thidua.campaigns.models import Campaign
from thidua.exchange import readers
from thidua.exchange.importer import workbook_import
from thidua.intake.models import IntakeRecord
from thidua.units.models import Unit

pytestmark = pytest.mark.django_db(transaction=True)
AT_ONCE = 6
DAY = dt.date(2021, 3, 10)
ROWS = [["10/03/2021", "M-VTH-01", "31318", "50"], ["10/03/2021", "M-VTH-01", "31321", "20"]]


@pytest.fixture(autouse=True)
def upload_dir(settings, tmp_path):
    settings.THIDUA_UPLOAD_DIR = tmp_path / "uploads"
    return settings.THIDUA_UPLOAD_DIR


@pytest.fixture
def clerk(committed_campaign):
    return user_create(username="nhap-cung-luc", password="Mat-khau-2021", role=Role.PC06, actor="kiem-thu",
                       unit=Unit.objects.get(campaign=committed_campaign, code="PC06"))


def intake_file() -> SimpleUploadedFile:
    buffer = io.StringIO()
    csv.writer(buffer).writerows([HEADERS["thu_nhan"], *ROWS])
    return SimpleUploadedFile("thu_nhan.csv", buffer.getvalue().encode("utf-8-sig"), content_type="text/csv")


def at_once(user, send, times: int = AT_ONCE) -> list:
    """Run `send(client)` in `times` threads released together, each with a client signed in as `user` and a
    database connection of its own; return the answers."""
    clients = []
    for _ in range(times):
        clients.append(Client(raise_request_exception=False))
        clients[-1].force_login(user)
    start = threading.Barrier(times, timeout=60)

    def run(client):
        try:
            start.wait()
            return send(client)
        finally:
            connection.close()

    with ThreadPoolExecutor(times) as pool:
        return list(pool.map(run, clients))


def test_the_same_file_sent_at_once_gets_the_same_preview_every_time(committed_campaign, clerk, upload_dir):
    upload = reverse("import_upload", args=[committed_campaign.code])
    answers = at_once(clerk, lambda client: client.post(upload, {"tep": intake_file(), "ly_do": ""}))
    assert [a.status_code for a in answers] == [200] * AT_ONCE
    assert {a.context["totals"].added for a in answers} == {2}
    assert len({a.context["sha"] for a in answers}) == 1 and all(a.context["token"] for a in answers)
    # One waiting file is left, whole, and the last preview confirms.
    assert [p.name for p in upload_dir.glob("*/tep/*")] == ["thu_nhan.csv"]
    client = Client()
    client.force_login(clerk)
    action = reverse("import_confirm", args=[committed_campaign.code])
    assert client.post(action, form_fields(answers[-1].content.decode(), action)).status_code == 302
    assert IntakeRecord.objects.filter(day=DAY, machine__code="M-VTH-01").count() == 2


def test_a_confirmation_clicked_several_times_imports_once_and_says_so(committed_campaign, clerk):
    client = Client()
    client.force_login(clerk)
    preview = client.post(reverse("import_upload", args=[committed_campaign.code]), {"tep": intake_file()})
    action = reverse("import_confirm", args=[committed_campaign.code])
    fields = form_fields(preview.content.decode(), action)
    answers = at_once(clerk, lambda client: client.post(action, fields))
    statuses = sorted(a.status_code for a in answers)
    assert statuses == [302] + [400] * (AT_ONCE - 1), statuses
    for answer in answers:
        if answer.status_code == 400:
            assert "Tệp «thu_nhan.csv» đã được nhập lúc" in answer.content.decode()
            assert "không nhập lần nữa" in answer.content.decode()
    assert ChangeSet.objects.filter(file_name="thu_nhan.csv").count() == 1
    counts = IntakeRecord.objects.filter(day=DAY, machine__code="M-VTH-01").values_list("applications", flat=True)
    assert sorted(counts) == [20, 50]


def _blocked_after_header(monkeypatch, reading: threading.Event, go: threading.Event) -> None:
    """Make every CSV read stop after its header row until `go` is set, telling `reading` once it stops there."""
    real = readers._csv_rows

    def csv_rows(opener, origin, budget):
        rows = real(opener, origin, budget)

        def blocked():
            found = rows()
            yield next(found)
            reading.set()
            assert go.wait(60)
            yield from found
        return blocked

    monkeypatch.setattr(readers, "_csv_rows", csv_rows)


def test_a_file_being_read_holds_no_database_lock(committed_campaign, monkeypatch, tmp_path):
    path = tmp_path / "thu_nhan.csv"
    path.write_bytes(intake_file().read())
    stored = IntakeRecord.objects.count()
    reading, go = threading.Event(), threading.Event()
    _blocked_after_header(monkeypatch, reading, go)

    def run():
        try:
            return workbook_import(campaign=committed_campaign, path=path, actor="kiem-thu")
        finally:
            connection.close()

    with ThreadPoolExecutor(1) as pool:
        imported = pool.submit(run)
        try:
            assert reading.wait(60)
            # Meanwhile, on this thread's own connection: the campaign the import will lock, and a write elsewhere,
            # each refused after 2 s if the reader held a lock (SQLite: the whole database; PostgreSQL: the row).
            with connection.cursor() as cursor:
                if connection.vendor == "sqlite":
                    cursor.execute("PRAGMA busy_timeout = 2000")
            with transaction.atomic():
                if connection.vendor == "postgresql":
                    with connection.cursor() as cursor:
                        cursor.execute("SET LOCAL lock_timeout = '2s'")
                Campaign.objects.select_for_update().get(pk=committed_campaign.pk)
                user_create(username="trong-luc-doc", password="Mat-khau-2021", role=Role.PC06, actor="kiem-thu",
                            unit=Unit.objects.get(campaign=committed_campaign, code="PC06"))
        finally:
            go.set()
        report = imported.result(timeout=120)
    assert report.ok and report.counts["thu_nhan"].added == len(ROWS)
    assert IntakeRecord.objects.count() == stored + len(ROWS)
