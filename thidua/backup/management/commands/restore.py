import time

from django.core.management.base import BaseCommand, CommandError

from thidua.audit.chain import chain_verify
from thidua.audit.journal import journal_path
from thidua.audit.keys import audit_key
from thidua.backup.services import BackupError, backup_restore, restore_tidy
from thidua.intake.integrity import data_verify
from thidua.lib.vn import number


class Command(BaseCommand):
    help = ("Khôi phục một bản sao lưu vào cơ sở dữ liệu trống đã chạy `thidua migrate` (SQLite hoặc PostgreSQL), "
            "rồi kiểm tra nhật ký. Cần khóa nhật ký của máy chủ gốc (THIDUA_AUDIT_KEY hoặc tệp khóa), giữ riêng.")

    def add_arguments(self, parser):
        parser.add_argument("file", help="tệp sao lưu do `thidua backup` ghi")
        parser.add_argument("--without-key", action="store_true",
                            help="khôi phục dù không có khóa nhật ký (khóa đã mất): nhật ký không xác thực được")

    def handle(self, *args, file, without_key, **options):
        started = time.perf_counter()
        try:
            summary = backup_restore(path=file, without_key=without_key)
        except BackupError as exc:
            raise CommandError(f"Không khôi phục: {exc}.") from exc
        except FileNotFoundError as exc:
            raise CommandError(f"Không khôi phục: không có tệp {file}.") from exc
        total = sum(summary.rows.values())
        self.stdout.write(f"Đã khôi phục {number(total)} dòng của {len(summary.rows)} bảng và {summary.files} tệp lưu "
                          f"trữ trong {time.perf_counter() - started:.1f} giây (bản sao lưu lúc {summary.created_at}, "
                          f"mốc nhật ký {summary.anchor}).")
        kept = f"; tệp mốc cũ ở đó được giữ lại thành {summary.journal_kept}" if summary.journal_kept else ""
        self.stdout.write(f"Tệp mốc {journal_path()} bắt đầu lại từ mốc của bản sao lưu{kept}.")
        tidied = time.perf_counter()
        restore_tidy()
        self.stdout.write(f"Đã cập nhật thống kê của cơ sở dữ liệu và sắp xếp gọn các bảng tổng theo ngày trong "
                          f"{time.perf_counter() - tidied:.1f} giây.")
        report = chain_verify(key=audit_key())
        problem = data_verify() if report.ok else None
        if not report.ok:
            raise CommandError(f"Đã khôi phục, nhưng chuỗi nhật ký bị phá sau {report.entries} mục: {report.broken}.")
        if problem:
            raise CommandError(f"Đã khôi phục, nhưng số liệu không khớp nhật ký: {problem}.")
        how = "và xác thực bằng khóa" if report.authenticated else "(không có khóa: chưa xác thực được)"
        self.stdout.write(f"Nhật ký toàn vẹn {how}: {report.entries} mục; mọi số liệu khớp với nhật ký.")
