from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.timezone import localtime

from thidua.audit.chain import (
    AnchorError,
    SealError,
    anchor_parse,
    anchor_verify,
    chain_anchor,
    chain_rekey,
    chain_seal_legacy,
    chain_verify,
)
from thidua.audit.journal import journal_path, journal_verify
from thidua.audit.keys import audit_key, key_place, mac_holds
from thidua.audit.services import ReasonError, reason_problem
from thidua.intake.integrity import data_verify, history_baseline, older_baseline

LEGACY_REASON = "Xác thực nhật ký ghi trước khi có khóa nhật ký (nâng cấp)"
REKEY_REASON = "Đổi khóa nhật ký"


class Command(BaseCommand):
    help = ("Nhật ký thay đổi. `verify`: kiểm tra chuỗi băm và mã xác thực của mọi mục, rồi đối chiếu mọi dữ liệu "
            "quyết định xếp hạng với nhật ký; chỉ ra chỗ đầu tiên bị sửa, thêm hoặc xóa thẳng trong cơ sở dữ liệu "
            "(`--anchor SỐ:MÃ_BĂM`: chứng minh nhật ký tới mốc đó không đổi). `anchor`: in mốc cuối của chuỗi để lưu "
            "vào báo cáo. `seal-legacy`: xác thực một lần các mục ghi trước khi có khóa nhật ký. `rekey "
            "--old-key-file TỆP`: chuyển nhật ký sang khóa mới.")

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["verify", "anchor", "seal-legacy", "rekey"])
        parser.add_argument("--anchor", help="verify: mốc SỐ:MÃ_BĂM do `thidua audit anchor` in ra")
        parser.add_argument("--old-key-file", default="", help="rekey: tệp chứa khóa nhật ký cũ (khóa mới đã đặt vào "
                            "chỗ của khóa)")
        parser.add_argument("--reason", default="", help="seal-legacy, rekey: lý do ghi vào nhật ký")
        parser.add_argument("--actor", default="quan-tri", help="seal-legacy, rekey: người thực hiện ghi vào nhật ký")

    def handle(self, *args, action, anchor, reason, actor, old_key_file, **options):
        too_long = reason_problem(reason)
        if too_long:  # refused before anything is sealed: seal-legacy seals first, then records its act
            raise CommandError(too_long)
        if action == "anchor":
            return self._anchor()
        if action == "seal-legacy":
            return self._seal_legacy(actor, reason or LEGACY_REASON)
        if action == "rekey":
            return self._rekey(old_key_file, actor, reason or REKEY_REASON)
        return self._verify(anchor)

    def _rekey(self, old_key_file: str, actor: str, reason: str):
        try:
            old_key = Path(old_key_file).read_text(encoding="ascii").strip().encode()
        except (OSError, UnicodeDecodeError) as exc:
            raise CommandError("Cần --old-key-file: tệp chứa khóa nhật ký cũ (một dòng), đọc được.") from exc
        if not old_key:
            raise CommandError(f"Tệp {old_key_file} trống: cần khóa nhật ký cũ.")
        try:
            count = chain_rekey(old_key=old_key, actor=actor, reason=reason)
        except (SealError, ReasonError) as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"Đã xác thực lại {count} mục bằng khóa mới ({key_place()}); việc đổi khóa được ghi vào "
                          "nhật ký. Hủy bản khóa cũ sau khi đã kiểm tra `thidua audit verify`.")

    def _verify(self, anchor_text: str | None):
        key = audit_key()
        if anchor_text is not None:
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
        journal = journal_verify(key=key)
        if not journal.ok:
            raise CommandError(f"Chuỗi nhật ký trong cơ sở dữ liệu toàn vẹn ({report.entries} mục) nhưng tệp mốc của "
                               f"máy chủ ({journal_path()}) không khớp: {journal.broken}.")
        problem = data_verify()
        if problem:
            raise CommandError(f"Chuỗi nhật ký toàn vẹn ({report.entries} mục) nhưng số liệu không khớp: {problem}.")
        if key is None:
            raise CommandError(f"Chuỗi băm toàn vẹn ({report.entries} mục) và mọi dữ liệu khớp với nhật ký, nhưng "
                               f"không xác thực được nhật ký: không có khóa nhật ký ({key_place()}). Đặt biến "
                               "THIDUA_AUDIT_KEY hoặc chép tệp khóa vào chỗ đó rồi chạy lại.")
        self.stdout.write(f"Chuỗi nhật ký toàn vẹn và xác thực bằng khóa: {report.entries} mục; mọi số liệu thu nhận "
                          "khớp với nhật ký, cùng mọi dữ liệu khác quyết định xếp hạng (đợt thi đua, đơn vị, cán bộ, "
                          "phân công máy, dân số, báo cáo ngày) và khen thưởng (kết quả đã chốt, phân xử đồng hạng, "
                          "khiếu nại, đề nghị khen thưởng, tệp bằng chứng, văn bản đã ban hành), các tài khoản, khóa "
                          "API và địa bàn hành chính.")
        if journal.lines:
            self.stdout.write(f"Tệp mốc {journal_path()}: {journal.lines} dòng, tới mục số {journal.last}, khớp với "
                              "nhật ký.")
        else:
            self.stdout.write(f"Chưa có tệp mốc {journal_path()}: nó bắt đầu từ việc ghi nhật ký tiếp theo.")

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
            if sealed:
                baselined = history_baseline(actor=actor, reason=reason)
            else:
                # Only an older database gets a baseline: on one sealed already it would vouch for whatever was
                # changed; of the accounts and the demo's mark, which the version before recorded less of, only
                # what it left.
                baselined = older_baseline(actor=actor, reason=reason)
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        if not sealed and not baselined:
            raise CommandError("Mọi mục của nhật ký đã có mã xác thực và không có bản ghi nào của phiên bản trước "
                               "cần ghi bù: không có gì cần xác thực bù. Kiểm tra bằng `thidua audit verify`.")
        if not sealed:
            self.stdout.write(f"Đã ghi bù vào nhật ký {baselined} bản ghi mà phiên bản trước chưa ghi (superuser tạo "
                              "bằng createsuperuser của Django, mã băm của khóa API, dấu dữ liệu mô phỏng của đợt thi "
                              "đua demo), như hiện có.")
            return
        self.stdout.write(f"Đã xác thực {sealed} mục ghi trước khi có khóa ({key_place()}); "
                          f"{baselined} bản ghi mà phiên bản trước chưa ghi đủ vào nhật ký được ghi lại như hiện có.")
