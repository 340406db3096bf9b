from django.core.management.base import BaseCommand, CommandError
from django.utils.timezone import localtime

from thidua.audit.chain import (
    AnchorError,
    SealError,
    anchor_parse,
    anchor_verify,
    chain_anchor,
    chain_seal_legacy,
    chain_verify,
)
from thidua.audit.keys import audit_key, key_place, mac_holds
from thidua.intake.integrity import data_verify, history_baseline

LEGACY_REASON = "Xác thực nhật ký ghi trước khi có khóa nhật ký (nâng cấp)"


class Command(BaseCommand):
    help = ("Nhật ký thay đổi. `verify`: kiểm tra chuỗi băm và mã xác thực của mọi mục, rồi đối chiếu mọi dữ liệu "
            "quyết định xếp hạng với nhật ký; chỉ ra chỗ đầu tiên bị sửa, thêm hoặc xóa thẳng trong cơ sở dữ liệu "
            "(`--anchor SỐ:MÃ_BĂM`: chứng minh nhật ký tới mốc đó không đổi). `anchor`: in mốc cuối của chuỗi để lưu "
            "vào báo cáo. `seal-legacy`: xác thực một lần các mục ghi trước khi có khóa nhật ký.")

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["verify", "anchor", "seal-legacy"])
        parser.add_argument("--anchor", default="", help="verify: mốc SỐ:MÃ_BĂM do `thidua audit anchor` in ra")
        parser.add_argument("--reason", default=LEGACY_REASON, help="seal-legacy: lý do ghi vào nhật ký")
        parser.add_argument("--actor", default="quan-tri", help="seal-legacy: người thực hiện ghi vào nhật ký")

    def handle(self, *args, action, anchor, reason, actor, **options):
        if action == "anchor":
            return self._anchor()
        if action == "seal-legacy":
            return self._seal_legacy(actor, reason)
        return self._verify(anchor)

    def _verify(self, anchor_text: str):
        key = audit_key()
        if anchor_text:
            try:
                anchor = anchor_parse(anchor_text)
            except AnchorError as exc:
                raise CommandError(f"{str(exc)[0].upper()}{str(exc)[1:]}.") from exc
            report = anchor_verify(anchor, key=key)
            if not report.ok:
                raise CommandError(f"Nhật ký tới mốc {anchor.seq} KHÔNG còn nguyên: {report.broken}.")
            how = "mã băm và mã xác thực" if key else "mã băm (không có khóa nhật ký: chưa xác thực được)"
            self.stdout.write(f"Nhật ký tới mốc {anchor.seq} không đổi: mục số {anchor.seq} vẫn mang mã băm của mốc, "
                              f"chuỗi tới đó khớp {how}.")
        report = chain_verify(key=key)
        if not report.ok:
            raise CommandError(f"Chuỗi nhật ký bị phá vỡ sau {report.entries} mục toàn vẹn: {report.broken}.")
        problem = data_verify()
        if problem:
            raise CommandError(f"Chuỗi nhật ký toàn vẹn ({report.entries} mục) nhưng số liệu không khớp: {problem}.")
        if key is None:
            raise CommandError(f"Chuỗi băm toàn vẹn ({report.entries} mục) và mọi dữ liệu khớp với nhật ký, nhưng "
                               f"không xác thực được nhật ký: không có khóa nhật ký ({key_place()}). Đặt biến "
                               "THIDUA_AUDIT_KEY hoặc chép tệp khóa vào chỗ đó rồi chạy lại.")
        self.stdout.write(f"Chuỗi nhật ký toàn vẹn và xác thực bằng khóa: {report.entries} mục; mọi số liệu thu nhận "
                          "khớp với nhật ký, cùng mọi dữ liệu khác quyết định xếp hạng (đợt thi đua, đơn vị, cán bộ, "
                          "phân công máy, dân số, báo cáo ngày).")

    def _anchor(self):
        anchor, entry = chain_anchor()
        if entry is None:
            self.stdout.write("Nhật ký chưa có mục nào: chưa có mốc.")
            return
        key = audit_key()
        # The head's MAC vouches for its hash, which covers every act before it: no need to walk the chain here.
        if key is not None and not mac_holds(key, entry.seq, entry.hash, entry.mac):
            raise CommandError("Mục cuối của nhật ký không xác thực được bằng khóa nhật ký: chạy `thidua audit verify` "
                               "để biết chỗ hỏng; không in mốc.")
        self.stdout.write(str(anchor))
        self.stdout.write(f"Mốc nhật ký: mục số {anchor.seq}, ghi lúc {localtime(entry.at):%d/%m/%Y %H:%M} bởi "
                          f"{entry.actor}, mã băm {anchor.hash[:16]}…. Ghi dòng đầu vào báo cáo; về sau "
                          f"`thidua audit verify --anchor {anchor}` chứng minh nhật ký tới đây không đổi.")

    def _seal_legacy(self, actor: str, reason: str):
        try:
            sealed = chain_seal_legacy()
        except SealError as exc:
            raise CommandError(str(exc)) from exc
        try:
            baselined = history_baseline(actor=actor, reason=reason)
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"Đã xác thực {sealed} mục ghi trước khi có khóa ({key_place()}); "
                          f"{baselined} bản ghi mà phiên bản trước chưa ghi đủ vào nhật ký được ghi lại như hiện có.")
