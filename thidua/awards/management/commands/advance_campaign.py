import getpass

from django.core.management.base import BaseCommand, CommandError

from thidua.awards.services import StepError, campaign_advance
from thidua.campaigns.models import Campaign, Status


class Command(BaseCommand):
    help = ("Chuyển đợt thi đua sang bước khác của vòng đời (docs/documents.md): draft → running → closed → scored → "
            "published → proposed → decided → archived, hoặc lùi một bước với lý do.")

    def add_arguments(self, parser):
        parser.add_argument("campaign", help="Mã đợt thi đua")
        parser.add_argument("status", choices=Status.values, help="Trạng thái mới")
        parser.add_argument("--reason", required=True, help="Lý do (ghi vào lịch sử)")
        parser.add_argument("--unverified-confirmed", help="Khi chấm điểm: số ngày-tổ chưa xác nhận (để xác nhận)")
        parser.add_argument("--proposal-number", help="Khi trình: số Tờ trình (ví dụ 15)")
        parser.add_argument("--proposal-date", help="Khi trình: ngày Tờ trình (dd/mm/yyyy)")
        parser.add_argument("--decision-number", help="Khi ghi quyết định: số quyết định")
        parser.add_argument("--decision-date", help="Khi ghi quyết định: ngày quyết định (dd/mm/yyyy)")
        parser.add_argument("--decision-signer", help="Khi ghi quyết định: họ tên người ký")

    def handle(self, *args, campaign, status, reason, **options):
        found = Campaign.objects.filter(code=campaign).first()
        if found is None:
            raise CommandError(f"Không có đợt thi đua mã «{campaign}».")
        fields = {key: options[key] for key in ("unverified_confirmed", "proposal_number", "proposal_date",
                                                "decision_number", "decision_date", "decision_signer")
                  if options.get(key) is not None}
        try:
            found = campaign_advance(campaign=found, to=status, actor=f"cli:{getpass.getuser()}", reason=reason,
                                     fields=fields)
        except StepError as exc:
            raise CommandError("\n".join(exc.problems)) from exc
        self.stdout.write(f"Đợt thi đua {found.code}: {found.get_status_display()}.")
