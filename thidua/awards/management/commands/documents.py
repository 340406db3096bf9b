import os
import tempfile
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from thidua.campaigns.models import Campaign
from thidua.documents.catalog import KINDS, frozen_snapshot, render
from thidua.documents.facts import DocumentError


class Command(BaseCommand):
    help = ("Lập các văn bản của đợt thi đua từ bản chốt kết quả mới nhất (từ bước «Đã chấm điểm»): Tờ trình, "
            "Quyết định, Báo cáo tổng kết (.docx), bảng khen thưởng (.xlsx), Bằng khen (.pdf) — giống tệp tải về "
            "trên trang.")

    def add_arguments(self, parser):
        parser.add_argument("campaign", help="Mã đợt thi đua")
        parser.add_argument("--output", required=True, help="Thư mục ghi các tệp (tạo nếu chưa có)")

    def handle(self, *args, campaign, output, **options):
        found = Campaign.objects.filter(code=campaign).first()
        if found is None:
            raise CommandError(f"Không có đợt thi đua mã «{campaign[:60]}».")
        folder = _folder(output)
        try:
            snapshot = frozen_snapshot(found)
        except DocumentError as exc:
            raise CommandError(str(exc)) from exc
        missing = []
        for kind in KINDS.values():
            try:
                data = render(found, kind.code, snapshot)
            except ModuleNotFoundError as exc:
                missing.append(f"{kind.file_name} ({exc.name})")
                continue
            except DocumentError as exc:
                raise CommandError(str(exc)) from exc
            _write(folder / kind.file_name, data)
            self.stdout.write(f"Đã ghi {folder / kind.file_name} ({len(data)} byte).")
        if missing:
            raise CommandError(f"Chưa lập được: {', '.join(missing)}: phần mềm thiếu bộ tạo tệp này.")


def _folder(output: str) -> Path:
    """Return the output folder, created if missing; refuse a name that cannot be one."""
    if "\x00" in output or not output.strip():
        raise CommandError("--output: tên thư mục không hợp lệ.")
    folder = Path(output)
    if folder.exists() and not folder.is_dir():
        raise CommandError(f"--output: «{output[:200]}» đã có và không phải thư mục.")
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise CommandError(f"--output: không tạo được thư mục «{output[:200]}»: {exc.strerror}.") from exc
    return folder


def _write(path: Path, data: bytes) -> None:
    """Write a file whole or not at all: a temporary file beside it, then renamed over the name (a link of that
    name is replaced, never followed; a folder of that name is refused)."""
    if path.is_dir() and not path.is_symlink():
        raise CommandError(f"Không ghi được «{path}»: đã có thư mục cùng tên.")
    try:
        descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
        with os.fdopen(descriptor, "wb") as fh:
            fh.write(data)
        os.replace(temporary, path)
    except OSError as exc:
        raise CommandError(f"Không ghi được «{path}»: {exc.strerror}.") from exc
