"""The journal of heads: every act, once committed, appends `SEQ:HASH:MAC` to a file of the instance's data folder,
so that the newest acts cut from the database (the head moved back) are found by `thidua audit verify` without any
anchor printed; a journal behind the database is no alarm; a forged line is named as forged."""

import datetime as dt
import io
import multiprocessing
import os
import subprocess
import sys

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from thidua.accounts.models import Role
from thidua.audit.chain import entry_hash
from thidua.audit.journal import journal_append, journal_mac, journal_restart, journal_verify
from thidua.audit.keys import audit_key, entry_mac
from thidua.audit.models import ChainHead, ChangeSet
from thidua.backup.services import stored_files
from thidua.intake.models import DailyReport, IntakeRecord
from thidua.intake.services import report_save
from thidua.units.models import Unit

pytestmark = pytest.mark.django_db
DAY = dt.date(2021, 3, 10)
PROCESSES, LINES_EACH = 4, 200


@pytest.fixture
def journal(settings, tmp_path):
    settings.DATA_DIR = tmp_path
    settings.THIDUA_AUDIT_JOURNAL = tmp_path / "anchors.log"
    return tmp_path / "anchors.log"


@pytest.fixture
def entered(campaign, journal, django_capture_on_commit_callbacks):
    """Two days of a team entered on the page, each act committed (its line appended)."""
    team = Unit.objects.get(campaign=campaign, code="TO-VTH-1")
    for day, count in ((DAY, 50), (DAY + dt.timedelta(days=1), 60)):
        with django_capture_on_commit_callbacks(execute=True):
            report_save(campaign=campaign, team=team, day=day, rows=[("M-VTH-01", "31318", count)], actor="to")
    return team


def verify(*args) -> str:
    out = io.StringIO()
    call_command("audit", "verify", *args, stdout=out)
    return out.getvalue()


def cut_the_newest_act() -> int:
    """Do what someone with the database but not the server's files would: delete the newest act, what it created
    and its changes, and move the head back to the act before; return the place cut."""
    last = ChangeSet.objects.order_by("-seq").first()
    IntakeRecord.objects.filter(changeset=last).delete()
    DailyReport.objects.filter(campaign=last.campaign, day=DAY + dt.timedelta(days=1)).delete()
    last.changes.all().delete()
    last.delete()
    before = ChangeSet.objects.order_by("-seq").first()
    ChainHead.objects.filter(pk=1).update(last_seq=before.seq, last_hash=before.hash)
    return last.seq


def test_each_committed_act_appends_its_place_hash_and_mac(entered, journal):
    lines = journal.read_text().splitlines()
    head = ChainHead.objects.get()
    assert lines[-1] == f"{head.last_seq}:{head.last_hash}:{journal_mac(audit_key(), head.last_seq, head.last_hash)}"
    assert len(lines) == 2
    assert f"Tệp mốc {journal}: 2 dòng, tới mục số {head.last_seq}, khớp với nhật ký" in verify()


def test_an_act_rolled_back_appends_nothing(campaign, journal, django_capture_on_commit_callbacks):
    team = Unit.objects.get(campaign=campaign, code="TO-VTH-1")
    with pytest.raises(RuntimeError), django_capture_on_commit_callbacks(execute=True):
        from django.db import transaction

        with transaction.atomic():
            report_save(campaign=campaign, team=team, day=DAY, rows=[("M-VTH-01", "31318", 5)], actor="to")
            raise RuntimeError
    assert not journal.exists()


def test_the_newest_act_cut_with_the_head_moved_back_is_found_without_an_anchor(entered, journal):
    seq = cut_the_newest_act()
    with pytest.raises(CommandError, match=f"tệp mốc của máy chủ .* dòng 2 ghi mục số {seq}, nhưng nhật ký trong cơ "
                                           f"sở dữ liệu dừng ở mục số {seq - 1}: các mục sau mục số {seq - 1} đã bị "
                                           "xóa thẳng"):
        verify()


def test_the_newest_act_rewritten_with_the_key_is_found(entered, journal):
    """Someone holding the database and the key, not the server's files, rewrites the newest act consistently."""
    last = ChangeSet.objects.order_by("-seq").first()
    last.reason = "sửa lén"
    last.hash = entry_hash(last, last.changes.order_by("id"))
    last.mac = entry_mac(audit_key(), last.seq, last.hash)
    last.save(update_fields=["reason", "hash", "mac"])
    ChainHead.objects.filter(pk=1).update(last_hash=last.hash)
    with pytest.raises(CommandError, match=f"dòng 2 ghi mục số {last.seq} với mã băm .* nhật ký từ mục này đã bị viết "
                                           "lại"):
        verify()


def test_the_page_check_finds_the_cut_too(campaign, journal, login, django_capture_on_commit_callbacks):
    client = login(Role.PC06, "PC06")
    team = Unit.objects.get(campaign=campaign, code="TO-VTH-1")
    with django_capture_on_commit_callbacks(execute=True):
        report_save(campaign=campaign, team=team, day=DAY + dt.timedelta(days=1), rows=[("M-VTH-01", "31318", 5)],
                    actor="to")
    cut_the_newest_act()
    page = client.post(reverse("audit_verify"), follow=True).content.decode()
    assert "tệp mốc của máy chủ không khớp" in page and "đã bị xóa thẳng" in page


@pytest.mark.parametrize("journal_text", ["", "{first}\n", "{first}\n{second_cut}"])
def test_a_journal_behind_the_database_or_a_line_cut_by_a_crash_is_no_alarm(entered, journal, journal_text):
    first, second = journal.read_text().splitlines()
    journal.write_text(journal_text.format(first=first, second_cut=second[:40]))
    assert "khớp với nhật ký" in verify() or "Chưa có tệp mốc" in verify()


def test_no_journal_is_no_alarm(campaign, journal):
    assert f"Chưa có tệp mốc {journal}" in verify()


@pytest.mark.parametrize("line, said", [
    ("999:" + "0" * 64 + ":" + "0" * 64, "dòng 3 không xác thực được bằng khóa nhật ký"),
    ("rác", "dòng 3 không đúng dạng"),
])
def test_a_line_written_into_the_journal_by_hand_is_named_as_forged(entered, journal, line, said):
    with open(journal, "a") as fh:
        fh.write(line + "\n")
    with pytest.raises(CommandError, match=said):
        verify()


def test_processes_appending_at_once_leave_whole_lines(campaign, journal):
    head = ChainHead.objects.get()
    context = multiprocessing.get_context("fork")
    workers = [context.Process(target=_append_many, args=(head.last_seq, head.last_hash)) for _ in range(PROCESSES)]
    for w in workers:
        w.start()
    for w in workers:
        w.join(timeout=60)
    assert [w.exitcode for w in workers] == [0] * PROCESSES
    report = journal_verify(key=audit_key())
    assert report.ok and report.lines == PROCESSES * LINES_EACH, report


def _append_many(seq, entry_hash):
    for _ in range(LINES_EACH):
        journal_append(seq, entry_hash)


def test_a_restore_starts_a_new_journal_and_backups_leave_it_out(entered, journal):
    (journal.parent / "tai-lieu.pdf").write_bytes(b"%PDF")
    kept = journal_restart()
    assert kept is not None and kept.read_text().count("\n") == 2
    head = ChainHead.objects.get()
    assert journal.read_text().startswith(f"{head.last_seq}:{head.last_hash}:")
    assert [name for name, _ in stored_files()] == ["tai-lieu.pdf"]


def test_an_empty_or_malformed_anchor_is_an_error(campaign):
    with pytest.raises(CommandError, match="Chưa ghi mốc: --anchor cần một mốc SỐ:MÃ_BĂM"):
        verify("--anchor", "")
    with pytest.raises(CommandError, match="không đúng dạng SỐ:MÃ_BĂM"):
        verify("--anchor", "15:zz")


def test_a_new_key_starts_a_new_journal(entered, journal, monkeypatch, tmp_path, django_capture_on_commit_callbacks):
    old = tmp_path / "khoa-cu"
    old.write_text("khoa-nhat-ky-cua-bo-kiem-thu\n")
    monkeypatch.setenv("THIDUA_AUDIT_KEY", "khoa-moi-cua-nam-2022")
    with django_capture_on_commit_callbacks(execute=True):
        call_command("audit", "rekey", "--old-key-file", str(old), stdout=io.StringIO())
    kept = [p for p in journal.parent.iterdir() if p.name.startswith("anchors.log.")]
    assert len(kept) == 1 and kept[0].read_text().count("\n") == 2
    assert journal_verify(key=audit_key()).ok and "khớp với nhật ký" in verify()


def test_a_new_key_is_refused_when_the_journal_shows_a_cut(entered, journal, monkeypatch, tmp_path):
    old = tmp_path / "khoa-cu"
    old.write_text("khoa-nhat-ky-cua-bo-kiem-thu\n")
    cut_the_newest_act()
    monkeypatch.setenv("THIDUA_AUDIT_KEY", "khoa-moi-cua-nam-2022")
    with pytest.raises(CommandError, match="không khớp nhật ký, không đổi khóa: dòng 2 ghi mục số"):
        call_command("audit", "rekey", "--old-key-file", str(old), stdout=io.StringIO())


def test_a_history_sealed_anew_after_a_lost_key_keeps_the_journals_witness(entered, journal, monkeypatch,
                                                                           django_capture_on_commit_callbacks):
    """The key lost: the MACs blanked and sealed again with a new key (docs/operations.md). The journal's lines, of
    the lost key, still prove their places and hashes: a cut is refused, a whole history starts a new journal."""
    monkeypatch.setenv("THIDUA_AUDIT_KEY", "khoa-moi-sau-khi-mat")
    ChangeSet.objects.update(mac="")
    last = ChangeSet.objects.order_by("-seq").first()
    forged = ChangeSet.objects.get(pk=last.pk)
    forged.reason = "sửa lén"
    forged.hash = entry_hash(forged, forged.changes.order_by("id"))
    forged.save(update_fields=["reason", "hash"])
    ChainHead.objects.filter(pk=1).update(last_hash=forged.hash)
    with pytest.raises(CommandError, match=r"không khớp nhật ký, không xác thực: dòng 2 .* đã bị viết lại"):
        call_command("audit", "seal-legacy", stdout=io.StringIO())
    ChangeSet.objects.filter(pk=last.pk).update(reason=last.reason, hash=last.hash)
    ChainHead.objects.filter(pk=1).update(last_hash=last.hash)
    with django_capture_on_commit_callbacks(execute=True):
        call_command("audit", "seal-legacy", stdout=io.StringIO())
    assert journal_verify(key=audit_key()).ok and "khớp với nhật ký" in verify()


def test_the_demo_made_again_starts_a_new_journal(tmp_path):
    """`thidua demo` removes its database and makes a new one: the journal of the one removed goes with it."""
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "THIDUA_DATA_DIR", "THIDUA_AUDIT_JOURNAL"}}
    for _ in range(2):
        done = subprocess.run([sys.executable, "-m", "thidua", "demo", "--no-serve", "--today", "2021-03-01"], env=env,
                              cwd=tmp_path, capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, done.stderr
    env["DATABASE_URL"] = f"sqlite:///{tmp_path / 'thidua-demo.sqlite3'}"
    done = subprocess.run([sys.executable, "-m", "thidua", "audit", "verify"], env=env, cwd=tmp_path,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0 and "khớp với nhật ký" in done.stdout, done.stderr
