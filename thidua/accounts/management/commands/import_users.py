import getpass
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from thidua.accounts.importing import text_error
from thidua.accounts.scopes import user_admin_of
from thidua.accounts.services import ACTOR_MAX, users_import
from thidua.audit.models import REASON_MAX
from thidua.campaigns.models import Campaign

CAMPAIGN_CODE_MAX = Campaign._meta.get_field("code").max_length


class Command(BaseCommand):
    help = ("Nhập người dùng từ tệp CSV (ten_dang_nhap, ho_ten, vai_tro, ma_don_vi, hoat_dong): tất cả hoặc không gì "
            "cả; in mật khẩu dùng một lần của người dùng mới (chỉ một lần). --actor là tên đăng nhập của một Quản trị: "
            "tệp chỉ được đổi những người người đó quản lý.")

    def add_arguments(self, parser):
        parser.add_argument("path", help="Tệp CSV (UTF-8, dấu phẩy hoặc chấm phẩy)")
        parser.add_argument("--campaign", required=True, help="Mã đợt thi đua của các mã đơn vị, ví dụ hau-giang-2021")
        parser.add_argument("--actor", default="",
                            help="Người nhập (mặc định: người dùng hệ thống); tên đăng nhập của một tài khoản thì "
                                 "nhập với quyền của tài khoản đó")
        parser.add_argument("--reason", default="", help="Lý do, ghi vào lịch sử (bắt buộc khi đổi vai trò, đơn vị)")

    def handle(self, *args, path, campaign, actor, reason, **options):
        for label, value, limit in (("--campaign", campaign, CAMPAIGN_CODE_MAX), ("--actor", actor, ACTOR_MAX),
                                    ("--reason", reason, REASON_MAX)):
            error = text_error(value, limit)
            if error:
                raise CommandError(f"{label} {error}.")
        found = Campaign.objects.filter(code=campaign).first()
        if found is None:
            raise CommandError(f"Không có đợt thi đua mã «{campaign}».")
        manager = self._manager(actor)
        file = Path(path)
        try:
            data = file.read_bytes()
        except OSError as exc:
            raise CommandError(f"Không đọc được «{path}»: {exc.strerror}.") from exc
        except ValueError as exc:  # a NUL in the path
            raise CommandError("Đường dẫn tệp có ký tự không hợp lệ.") from exc
        report = users_import(campaign=found, data=data, file_name=file.name, reason=reason, manager=manager,
                              actor=actor or f"cli:{getpass.getuser()}")
        if not report.ok:
            for e in report.errors:
                self.stderr.write(f"  - {e}")
            raise CommandError(f"Không nhập gì từ «{file.name}»: {len(report.errors)} lỗi, không người dùng nào "
                               "thay đổi.")
        self.stdout.write(f"Đã nhập «{file.name}»: tạo {len(report.creates)}, sửa {len(report.updates)}, "
                          f"không đổi {len(report.unchanged)}.")
        if report.passwords:
            self.stdout.write("Mật khẩu dùng một lần (chỉ hiện lần này; người dùng phải đổi ở lần đăng nhập đầu):")
            width = max(len(username) for username, _, _ in report.passwords)
            for username, full_name, password in report.passwords:
                self.stdout.write(f"  {username:<{width}}  {password}  {full_name}")

    @staticmethod
    def _manager(actor: str):
        """Return what the named account manages (the history will name them: the file gets their rights), or None
        for the server's operator (an actor that is no account), who may change anyone."""
        account = get_user_model().objects.filter(username=actor).first() if actor else None
        if account is None:
            return None
        manager = user_admin_of(account)
        if manager is None:
            raise CommandError(f"Tài khoản «{actor}» không phải Quản trị đang hoạt động: không được nhập người dùng.")
        return manager
