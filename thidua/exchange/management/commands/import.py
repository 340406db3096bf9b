import getpass
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from thidua.campaigns.models import Campaign
from thidua.exchange.error_list import errors_csv
from thidua.exchange.importer import workbook_import

SHOWN_ERRORS = 1000


class Command(BaseCommand):
    help = "Nhập số liệu của một đợt thi đua từ tệp .xlsx, thư mục CSV hoặc tệp .zip (tất cả hoặc không gì cả)."

    def add_arguments(self, parser):
        parser.add_argument("campaign", help="Mã đợt thi đua, ví dụ hau-giang-2021")
        parser.add_argument("path", help="Tệp .xlsx, .zip, SHEET.csv hoặc thư mục chứa các tệp CSV")
        parser.add_argument("--replace", action="store_true", help="Cho phép sửa số liệu đã có (cần --reason)")
        parser.add_argument("--reason", default="", help="Lý do sửa số liệu, ghi vào lịch sử")
        parser.add_argument("--errors", metavar="FILE", help="Ghi đủ danh sách lỗi ra tệp CSV này")
        parser.add_argument("--actor", default="", help="Người nhập (mặc định: người dùng hệ thống)")

    def handle(self, *args, campaign, path, replace, reason, errors, actor, **options):
        found = Campaign.objects.filter(code=campaign).first()
        if found is None:
            raise CommandError(f"Không có đợt thi đua mã «{campaign}».")
        report = workbook_import(campaign=found, path=path, actor=actor or f"cli:{getpass.getuser()}",
                                 replace=replace, reason=reason)
        for name, c in report.counts.items():
            self.stdout.write(f"{name}: thêm {c.added}, không đổi {c.unchanged}, sửa {c.replaced}, bị từ chối "
                              f"{c.rejected}")
        if report.empty_sheets:
            self.stdout.write("Trang trống (chỉ có dòng tiêu đề), bỏ qua: " + ", ".join(report.empty_sheets))
        if report.ignored_sheets:
            self.stdout.write("Không phải trang số liệu, bỏ qua: " + ", ".join(report.ignored_sheets))
        if errors:
            Path(errors).write_bytes(errors_csv(report.errors))
        if report.ok:
            t = report.totals()
            self.stdout.write(f"Đã nhập «{report.file_name}»: thêm {t.added}, không đổi {t.unchanged}, "
                              f"sửa {t.replaced}.")
            return
        for e in report.errors[:SHOWN_ERRORS]:
            self.stderr.write(f"  - {e}")
        if len(report.errors) > SHOWN_ERRORS:
            self.stderr.write(f"  … và {len(report.errors) - SHOWN_ERRORS} lỗi khác (dùng --errors TỆP để ghi đủ).")
        raise CommandError(f"Không nhập gì từ «{report.file_name}»: {len(report.errors)} lỗi, cơ sở dữ liệu không "
                           "thay đổi.")
