"""The `thidua` console command: hyphenated names of the contract, exit codes, summaries."""

from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from thidua.__main__ import main
from thidua.campaigns.models import Campaign

pytestmark = pytest.mark.django_db
REFERENCE = Path(__file__).resolve().parents[1] / "campaigns" / "hau-giang-2021.toml"


def test_hyphenated_command_names_reach_django_commands(capsys):
    with pytest.raises(SystemExit) as exited:
        main(["thidua", "load-territory", "--help"])
    assert exited.value.code == 0
    assert "vietnamadminunits" in capsys.readouterr().out


def test_init_campaign_creates_then_reports_unchanged(tmp_path, capsys):
    call_command("load_territory", province="93")
    path = tmp_path / "dot.toml"
    path.write_text(REFERENCE.read_text(encoding="utf-8").replace('code = "hau-giang-2021"', 'code = "cli-kiem-thu"'),
                    encoding="utf-8")
    call_command("init_campaign", str(path))
    call_command("init_campaign", str(path))
    out = capsys.readouterr().out
    assert "Đã tạo đợt thi đua cli-kiem-thu" in out and "Không thay đổi đợt thi đua cli-kiem-thu" in out
    assert Campaign.objects.filter(code="cli-kiem-thu").count() == 1


def test_init_campaign_with_bad_settings_fails_with_every_error(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text(REFERENCE.read_text(encoding="utf-8").replace("deadline = 2021-07-01", "deadline = 2020-07-01")
                   + "\nfoo = 1\n", encoding="utf-8")
    with pytest.raises(CommandError) as caught:
        call_command("init_campaign", str(bad))
    assert "hạn cuối" in str(caught.value) and "«foo»" in str(caught.value)


def test_import_of_a_bad_file_exits_non_zero_naming_the_row(campaign, tmp_path, capsys):
    (tmp_path / "thu_nhan.csv").write_text("ngay,ma_may,ma_xa,so_ho_so\n01/03/2021,M-VTH-01,31318,-5\n",
                                           encoding="utf-8")
    with pytest.raises(CommandError, match="cơ sở dữ liệu không thay đổi"):
        call_command("import", campaign.code, str(tmp_path / "thu_nhan.csv"))
    assert "thu_nhan, dòng 2, cột so_ho_so" in capsys.readouterr().err


def test_import_prints_the_summary(campaign, tmp_path, capsys):
    (tmp_path / "thu_nhan.csv").write_text("ngay,ma_may,ma_xa,so_ho_so\n20/03/2021,M-VTH-01,31318,12\n",
                                           encoding="utf-8")
    call_command("import", campaign.code, str(tmp_path / "thu_nhan.csv"))
    assert "thu_nhan: thêm 1, không đổi 0, sửa 0, bị từ chối 0" in capsys.readouterr().out


def test_import_prints_the_sheets_it_skipped(campaign, tmp_path, capsys):
    (tmp_path / "dan_so.csv").write_text("ma_xa,so_nguoi_trong_do_tuoi\n", encoding="utf-8")
    (tmp_path / "thu_nhan.csv").write_text("ngay,ma_may,ma_xa,so_ho_so\n20/03/2021,M-VTH-01,31318,12\n",
                                           encoding="utf-8")
    (tmp_path / "ghi-chu.txt").write_text("ghi chú", encoding="utf-8")
    call_command("import", campaign.code, str(tmp_path))
    out = capsys.readouterr().out
    assert "Trang trống (chỉ có dòng tiêu đề), bỏ qua: dan_so" in out and "dan_so: thêm" not in out
    assert "Không phải trang số liệu, bỏ qua: ghi-chu.txt" in out


def test_import_into_an_unknown_campaign_is_refused(tmp_path):
    with pytest.raises(CommandError, match="Không có đợt thi đua mã «khong-co»"):
        call_command("import", "khong-co", str(tmp_path))


def test_a_database_never_migrated_gets_a_clear_message(tmp_path):
    import os
    import subprocess
    import sys

    env = dict(os.environ, DATABASE_URL=f"sqlite:///{tmp_path / 'trong.sqlite3'}")
    done = subprocess.run([sys.executable, "-m", "thidua", "score", "hau-giang-2021"], env=env, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 1
    assert "chưa được khởi tạo: chạy «thidua migrate» trước" in done.stderr and "Traceback" not in done.stderr


@pytest.mark.parametrize("command", [["score", "hau-giang-2021", "--as-of", "30/02/2021"],
                                     ["simulated-today", "30/02/2021"],
                                     ["demo", "--no-serve", "--today", "30/02/2021"]])
def test_a_date_not_written_yyyy_mm_dd_is_refused_in_vietnamese(command, capsys):
    with pytest.raises(SystemExit) as stopped:
        main(["thidua", *command])
    assert stopped.value.code != 0
    err = capsys.readouterr().err
    assert "Ngày «30/02/2021» không hợp lệ: dùng dạng YYYY-MM-DD." in err
