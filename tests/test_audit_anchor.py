"""The history is anchored: each act carries an HMAC with a key kept outside the database, so that rewriting the
whole chain consistently (every hash recomputed) is found; `thidua audit anchor` prints the chain's head for the
record and `thidua audit verify --anchor SEQ:HASH` proves the history up to it unchanged."""

import io

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from thidua.accounts.models import Role
from thidua.audit.chain import chain_verify, entry_hash
from thidua.audit.keys import audit_key
from thidua.audit.models import ChainHead, ChangeSet
from thidua.awards.services import campaign_advance
from thidua.campaigns.models import Status

pytestmark = pytest.mark.django_db


def rewrite_from(seq: int, **fields) -> None:
    """Do what someone with the database but not the key would: alter act `seq`, then recompute every hash from it
    on so that the chain of hashes holds again."""
    ChangeSet.objects.filter(seq=seq).update(**fields)
    previous = ChangeSet.objects.get(seq=seq - 1).hash if seq > 1 else "0" * 64
    for cs in ChangeSet.objects.filter(seq__gte=seq).order_by("seq"):
        cs.prev_hash = previous
        cs.hash = previous = entry_hash(cs, cs.changes.order_by("id"))
        cs.save(update_fields=["prev_hash", "hash"])
    ChainHead.objects.filter(pk=1).update(last_hash=previous)


def run(*args) -> str:
    out = io.StringIO()
    call_command("audit", *args, stdout=out)
    return out.getvalue()


@pytest.fixture
def advanced(campaign):
    campaign_advance(campaign=campaign, to=Status.RUNNING, actor="pc06", reason="Phát động")
    return campaign


def test_every_act_carries_a_mac_that_the_key_checks(advanced):
    assert ChangeSet.objects.filter(mac="").count() == 0
    report = chain_verify(key=audit_key())
    assert report.ok and report.authenticated


def test_a_chain_rewritten_whole_is_found_with_the_key(advanced):
    rewrite_from(2, reason="Lý do khác")
    assert chain_verify().ok  # the hashes alone hold again: that is what the key is for
    report = chain_verify(key=audit_key())
    assert not report.ok and "mục số 2" in report.broken and "mã xác thực (HMAC) không khớp" in report.broken
    with pytest.raises(CommandError, match="mục số 2"):
        run("verify")


def test_a_later_act_rewritten_is_named_as_rewritten_not_as_a_wrong_key(advanced):
    rewrite_from(3, actor="ke-gian")
    broken = chain_verify(key=audit_key()).broken
    assert "mục số 3" in broken and "đã bị viết lại thẳng" in broken


def test_a_mac_removed_after_others_is_found(advanced):
    ChangeSet.objects.filter(seq=2).update(mac="")
    broken = chain_verify(key=audit_key()).broken
    assert "mục số 2" in broken and "không có mã xác thực" in broken


def test_another_key_is_named_as_a_possible_cause(advanced, monkeypatch):
    monkeypatch.setenv("THIDUA_AUDIT_KEY", "khoa-khac")
    broken = chain_verify(key=audit_key()).broken
    assert "mục số 1" in broken and "THIDUA_AUDIT_KEY" in broken and "không phải khóa của cơ sở dữ liệu này" in broken


def test_without_a_key_the_hashes_are_checked_and_the_command_says_it_cannot_authenticate(advanced, monkeypatch,
                                                                                          settings, tmp_path):
    monkeypatch.delenv("THIDUA_AUDIT_KEY")
    settings.THIDUA_AUDIT_KEY_FILE = tmp_path / "khong-co"
    assert chain_verify().ok
    with pytest.raises(CommandError, match="không xác thực được nhật ký: không có khóa nhật ký"):
        run("verify")
    assert not (tmp_path / "khong-co").exists()  # a check never invents a key


def test_the_key_file_is_created_once_beside_the_data(campaign, monkeypatch, settings, tmp_path):
    monkeypatch.delenv("THIDUA_AUDIT_KEY")
    settings.THIDUA_AUDIT_KEY_FILE = tmp_path / "audit-key"
    assert audit_key() is None
    campaign_advance(campaign=campaign, to=Status.RUNNING, actor="pc06", reason="Phát động")
    key = (tmp_path / "audit-key").read_text().strip()
    assert len(key) >= 60 and audit_key() == key.encode()
    assert (tmp_path / "audit-key").stat().st_mode & 0o077 == 0


def test_the_anchor_proves_the_history_up_to_it(advanced):
    out = run("anchor").splitlines()
    head = ChainHead.objects.get()
    assert out[0] == f"{head.last_seq}:{head.last_hash}"
    assert f"mục số {head.last_seq}" in out[1] and "pc06" in out[1]
    campaign_advance(campaign=advanced, to=Status.CLOSED, actor="pc06", reason="Kết thúc")
    assert f"Nhật ký tới mốc {head.last_seq} không đổi" in run("verify", "--anchor", out[0])


def test_an_anchor_that_no_longer_holds_is_refused(advanced):
    anchor = run("anchor").splitlines()[0]
    rewrite_from(2, reason="Lý do khác")
    with pytest.raises(CommandError, match="KHÔNG còn nguyên"):
        run("verify", "--anchor", anchor)


def test_an_anchor_past_the_end_says_that_entries_were_removed(advanced):
    seq, digest = run("anchor").splitlines()[0].split(":")
    with pytest.raises(CommandError, match=f"không có mục số {int(seq) + 5}"):
        run("verify", "--anchor", f"{int(seq) + 5}:{digest}")


@pytest.mark.parametrize("bad", ["abc", "3", "3:xyz", "0:" + "0" * 64, "-1:" + "a" * 64])
def test_a_malformed_anchor_is_explained(campaign, bad):
    with pytest.raises(CommandError, match="không đúng dạng SỐ:MÃ_BĂM"):
        run("verify", f"--anchor={bad}")


def test_the_audit_page_shows_the_anchor(login, advanced):
    client = login(Role.COUNCIL, None)  # creating the user is an act: the head moves
    head = ChainHead.objects.get()
    page = client.get(reverse("audit_list")).content.decode()
    assert f"{head.last_seq}:{head.last_hash}" in page


def test_a_database_from_before_the_key_is_sealed_once(advanced):
    acts = ChangeSet.objects.count()
    ChangeSet.objects.update(mac="")
    broken = chain_verify(key=audit_key()).broken
    assert "chưa có mã xác thực" in broken and "seal-legacy" in broken
    out = run("seal-legacy")
    assert f"Đã xác thực {acts} mục" in out
    assert chain_verify(key=audit_key()).ok
    run("verify")


def test_sealing_refuses_an_act_without_mac_after_one_with(advanced):
    ChangeSet.objects.filter(seq=3).update(mac="")
    with pytest.raises(CommandError, match="mục số 3 không có mã xác thực"):
        run("seal-legacy")


def test_sealing_an_older_database_records_what_its_version_did_not(advanced):
    from thidua.audit.models import Change
    from thidua.intake.integrity import data_verify
    from thidua.intake.services import report_save, report_submit
    from thidua.units.models import Unit

    team, day = Unit.objects.get(code="TO-VTH-1"), advanced.start
    report_save(campaign=advanced, team=team, day=day, rows=[("M-VTH-01", "31318", 9)], actor="to-vth")
    report_submit(campaign=advanced, team=team, day=day, actor="to-vth")
    step = Change.objects.get(entity="bao_cao")
    # As the version before recorded a step: the status and the late flag, not who sent it or when.
    Change.objects.filter(pk=step.pk).update(before={"status": "draft"}, after={"status": "submitted", "late": True})
    rewrite_from(step.changeset.seq)
    ChangeSet.objects.update(mac="")
    assert "Báo cáo ngày «TO-VTH-1|2021-02-25»" in data_verify()
    out = run("seal-legacy")
    assert "1 bản ghi mà phiên bản trước chưa ghi đủ" in out
    baseline = Change.objects.filter(entity="bao_cao").order_by("-id").first()
    assert baseline.after["submitted_by"] == "to-vth" and baseline.changeset.actor == "quan-tri"
    run("verify")


def test_the_history_moves_to_a_new_key(advanced, monkeypatch, tmp_path):
    old = tmp_path / "khoa-cu"
    old.write_text("khoa-nhat-ky-cua-bo-kiem-thu\n")
    with pytest.raises(CommandError, match="Khóa cũ và khóa hiện có là một"):
        run("rekey", "--old-key-file", str(old))
    monkeypatch.setenv("THIDUA_AUDIT_KEY", "khoa-moi-cua-nam-2022")
    assert "không phải khóa của cơ sở dữ liệu này" in chain_verify(key=audit_key()).broken
    acts = ChangeSet.objects.count()
    assert f"Đã xác thực lại {acts} mục bằng khóa mới" in run("rekey", "--old-key-file", str(old))
    run("verify")
    assert ChangeSet.objects.get(seq=acts + 1).reason == "Đổi khóa nhật ký"
    assert not chain_verify(key=b"khoa-nhat-ky-cua-bo-kiem-thu").ok


def test_a_new_key_is_refused_when_the_old_one_does_not_authenticate(advanced, monkeypatch, tmp_path):
    old = tmp_path / "khoa-sai"
    old.write_text("khong-phai-khoa-cu\n")
    monkeypatch.setenv("THIDUA_AUDIT_KEY", "khoa-moi-cua-nam-2022")
    with pytest.raises(CommandError, match="không xác thực được bằng khóa cũ"):
        run("rekey", "--old-key-file", str(old))
    with pytest.raises(CommandError, match="Cần --old-key-file"):
        run("rekey")


def test_sealing_refuses_a_database_sealed_already_so_that_nothing_changed_is_vouched_for(advanced):
    from thidua.intake.integrity import data_verify
    from thidua.intake.models import Assignment

    Assignment.objects.filter(machine__code="M-NBA-02").update(quota=1)
    with pytest.raises(CommandError, match="không có gì cần xác thực bù"):
        run("seal-legacy")
    assert "chỉ tiêu trong cơ sở dữ liệu là «1»" in data_verify()


def test_the_page_says_when_the_server_has_no_key(login, advanced, monkeypatch, settings, tmp_path):
    client = login(Role.PC06, "PC06")
    monkeypatch.delenv("THIDUA_AUDIT_KEY")
    settings.THIDUA_AUDIT_KEY_FILE = tmp_path / "khong-co"
    page = client.post(reverse("audit_verify"), follow=True).content.decode()
    assert "máy chủ không có khóa nhật ký nên chưa xác thực được" in page
