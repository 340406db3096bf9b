import time

from django.core.management.base import BaseCommand, CommandError

from thidua.backup.services import BackupError, backup_write
from thidua.lib.storage import DISK_FULL, is_disk_full
from thidua.lib.vn import number


class Command(BaseCommand):
    help = ("Sao lưu toàn bộ cơ sở dữ liệu và các tệp lưu trữ của phiên bản vào một tệp duy nhất (ảnh chụp nhất quán, "
            "trang web vẫn chạy); không chứa khóa bí mật và khóa nhật ký: giữ chúng riêng.")

    def add_arguments(self, parser):
        parser.add_argument("file", help="tệp sao lưu sẽ ghi (.zip)")

    def handle(self, *args, file, **options):
        started = time.perf_counter()
        try:
            summary = backup_write(path=file)
        except BackupError as exc:
            raise CommandError(f"Không sao lưu được: {exc}.") from exc
        except OSError as exc:
            if is_disk_full(exc):  # the partial file is already removed (backup_write)
                raise CommandError(f"Không sao lưu được vào {file}: {DISK_FULL}") from exc
            raise CommandError(f"Không ghi được tệp {file}: thư mục không có, đầy, hoặc không có quyền ghi.") from exc
        total = sum(summary.rows.values())
        self.stdout.write(f"Đã sao lưu vào {summary.path}: {number(total)} dòng của {len(summary.rows)} bảng, "
                          f"{summary.files} tệp lưu trữ; {number(summary.bytes)} byte trong "
                          f"{time.perf_counter() - started:.1f} giây.")
        self.stdout.write(f"Mốc nhật ký của bản sao lưu: {summary.anchor}")
        if not summary.authenticated:
            self.stdout.write("Chưa có khóa nhật ký: bản sao lưu không mang mã xác thực.")
