"""The history is tamper-evident: every act is chained to the one before it; `thidua audit verify` names the
first entry altered, added or removed directly in the database."""

import datetime as dt

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from thidua.audit.chain import chain_verify
from thidua.audit.models import ChainHead, Change, ChangeSet
from thidua.awards.services import campaign_advance
from thidua.campaigns.models import Status

pytestmark = pytest.mark.django_db
INTAKE = {"thu_nhan": [["ngay", "ma_may", "ma_xa", "so_ho_so"], [dt.date(2021, 3, 21), "M-VTH-01", "31318", 17]]}


def test_the_chain_of_the_base_data_is_whole(campaign):
    report = chain_verify()
    assert report.ok and report.entries == ChangeSet.objects.count() >= 2


def test_each_act_is_linked_to_the_one_before(campaign, write_source, run_import):
    before = ChainHead.objects.get().last_hash
    report = run_import(write_source(INTAKE, "csv"))
    sealed = ChangeSet.objects.get(pk=report.changeset_id)
    assert sealed.prev_hash == before and sealed.seq == ChainHead.objects.get().last_seq
    assert chain_verify().ok


def test_a_rejected_import_leaves_no_entry(campaign, write_source, run_import):
    head = ChainHead.objects.get().last_seq
    bad = {"thu_nhan": [INTAKE["thu_nhan"][0], [dt.date(2021, 3, 21), "M-VTH-01", "31318", -1]]}
    assert not run_import(write_source(bad, "csv")).ok
    assert ChainHead.objects.get().last_seq == head and chain_verify().ok


def test_a_change_altered_in_the_database_is_named(campaign, write_source, run_import):
    run_import(write_source({"dan_so": [["ma_xa", "so_nguoi_trong_do_tuoi"], ["31318", 6200]]}, "csv"))
    report = run_import(write_source({"dan_so": [["ma_xa", "so_nguoi_trong_do_tuoi"], ["31318", 6300]]}, "csv"),
                        replace=True, reason="Số liệu mới của Công an xã")
    target = ChangeSet.objects.get(pk=report.changeset_id)
    Change.objects.filter(changeset=target).update(after={"so_nguoi_trong_do_tuoi": 9999})
    broken = chain_verify()
    assert not broken.ok and f"mục số {target.seq} (#{target.id}" in broken.broken
    assert "bị sửa" in broken.broken and broken.entries == target.seq - 1


def test_a_reason_rewritten_in_the_database_is_named(campaign):
    campaign_advance(campaign=campaign, to=Status.RUNNING, actor="pc06", reason="Phát động")
    target = ChangeSet.objects.get(seq=ChainHead.objects.get().last_seq)
    ChangeSet.objects.filter(pk=target.pk).update(reason="Lý do khác")
    assert f"mục số {target.seq}" in chain_verify().broken


def test_an_entry_written_straight_into_the_database_is_named(campaign):
    forged = ChangeSet.objects.create(campaign=campaign, actor="ke-gian", source="web", reason="")
    report = chain_verify()
    assert not report.ok and f"mục #{forged.id}" in report.broken and "không nằm trong chuỗi" in report.broken


def test_the_last_entry_deleted_is_noticed(campaign):
    campaign_advance(campaign=campaign, to=Status.RUNNING, actor="pc06", reason="Phát động")
    last = ChangeSet.objects.get(seq=ChainHead.objects.get().last_seq)
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM audit_change WHERE changeset_id = %s", [last.id])
        cursor.execute("DELETE FROM audit_changeset WHERE id = %s", [last.id])
    assert "có mục đã bị xóa" in chain_verify().broken


def test_audit_verify_command(campaign):
    call_command("audit", "verify")
    ChangeSet.objects.filter(seq=1).update(actor="nguoi-khac")
    with pytest.raises(CommandError, match="mục số 1"):
        call_command("audit", "verify")
