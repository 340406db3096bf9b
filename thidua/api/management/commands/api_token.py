import getpass

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from thidua.accounts.importing import USERNAME
from thidua.api.models import ApiToken
from thidua.api.services import TokenError, token_create, token_revoke


def _when(value) -> str:
    return f"{timezone.localtime(value):%d/%m/%Y %H:%M}" if value else "—"


class Command(BaseCommand):
    help = ("Mã truy cập API của một tài khoản: tạo mới (in ra mã bí mật một lần duy nhất), liệt kê (--list) hoặc "
            "thu hồi (--revoke TIỀN_TỐ).")

    def add_arguments(self, parser):
        parser.add_argument("username", help="Tên đăng nhập")
        parser.add_argument("--name", default="api", help="Tên của mã, để nhận ra nó về sau (mặc định: api)")
        action = parser.add_mutually_exclusive_group()
        action.add_argument("--list", dest="listing", action="store_true", help="Liệt kê các mã của tài khoản")
        action.add_argument("--revoke", metavar="TIỀN_TỐ", help="Thu hồi mã có tiền tố này")
        parser.add_argument("--reason", default="", help="Lý do thu hồi (ghi vào lịch sử)")

    def handle(self, *args, username, name, listing, revoke, reason, **options):
        user = get_user_model().objects.filter(username=username).first() if USERNAME.match(username) else None
        if user is None:
            raise CommandError(f"Không có tài khoản «{username}».")
        actor = f"cli:{getpass.getuser()}"
        if listing:
            tokens = ApiToken.objects.filter(user=user)
            if not tokens:
                self.stdout.write(f"Tài khoản {username} chưa có mã truy cập nào.")
            for t in tokens:
                state = f"thu hồi {_when(t.revoked_at)}" if t.revoked_at else "đang dùng"
                self.stdout.write(f"{t.prefix}  {t.name}  tạo {_when(t.created_at)}  dùng lần cuối "
                                  f"{_when(t.last_used_at)}  {state}")
            return
        try:
            if revoke:
                token = token_revoke(user=user, prefix=revoke, actor=actor, reason=reason)
                self.stdout.write(f"Đã thu hồi mã {token.prefix} ({token.name}) của {username}.")
                return
            token, secret = token_create(user=user, name=name, actor=actor)
        except TokenError as exc:
            raise CommandError(str(exc)) from exc
        if not user.is_active:
            self.stderr.write(f"Lưu ý: tài khoản {username} đang bị khóa; mã chỉ dùng được khi tài khoản mở lại.")
        self.stdout.write(f"Mã truy cập {token.prefix} ({token.name}) của {username}; chép lại ngay, mã không hiện "
                          "lại:")
        self.stdout.write(secret)
