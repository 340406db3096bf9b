import json

from django.core.management.base import BaseCommand, CommandError

from thidua.campaigns.management.arguments import iso_date
from thidua.campaigns.models import Campaign
from thidua.lib import vn
from thidua.scoring.robustness import robustness
from thidua.standings.export import standings_json, standings_table, standings_xlsx
from thidua.standings.selectors import campaign_standings


class Command(BaseCommand):
    help = "Bảng xếp hạng của đợt thi đua (thang điểm của scoring.md): tạm tính đến một ngày, hoặc chính thức."

    def add_arguments(self, parser):
        parser.add_argument("campaign", help="Mã đợt thi đua")
        parser.add_argument("--as-of", type=iso_date,
                            help="Tính đến ngày (YYYY-MM-DD); mặc định hôm nay, tối đa hạn cuối")
        parser.add_argument("--format", choices=("table", "json", "xlsx"), default="table")
        parser.add_argument("--output", help="Ghi ra tệp (bắt buộc với xlsx)")
        parser.add_argument("--robustness", action="store_true",
                            help="Rút lại ngẫu nhiên mọi trọng số, ngưỡng của thang điểm trong ±20%% "
                                 "và đếm kết quả giữ nguyên")
        parser.add_argument("--samples", type=int, default=1000, help="Số lần rút (với --robustness)")
        parser.add_argument("--seed", type=int, default=2021, help="Hạt giống ngẫu nhiên (với --robustness)")

    def handle(self, *args, campaign, as_of, format, output, robustness, samples, seed, **options):
        found = Campaign.objects.filter(code=campaign).first()
        if found is None:
            raise CommandError(f"Không có đợt thi đua mã «{campaign}».")
        if as_of is not None and as_of < found.start:
            raise CommandError(f"Ngày {vn.date(as_of)} trước ngày bắt đầu {vn.date(found.start)}.")
        result = campaign_standings(found, as_of)
        if robustness:
            text = self._robustness(result, samples, seed)
        elif format == "json":
            text = json.dumps(standings_json(result), ensure_ascii=False, indent=2) + "\n"
        elif format == "xlsx":
            if not output:
                raise CommandError("Định dạng xlsx cần --output TỆP.xlsx.")
            standings_xlsx(result, output)
            self.stdout.write(f"Đã ghi {output}.")
            return
        else:
            text = standings_table(result)
        if output:
            with open(output, "w", encoding="utf-8") as fh:
                fh.write(text)
        else:
            self.stdout.write(text, ending="")

    def _robustness(self, result, samples: int, seed: int) -> str:
        if samples < 1:
            raise CommandError("--samples phải ≥ 1.")
        lines = [f"Độ vững của kết quả: {samples} lần rút lại thang điểm (mỗi trọng số, ngưỡng trong ±20%), "
                 f"seed {seed}, đến ngày {vn.date(result.as_of)}"]
        config = result.campaign.config
        for g in result.groups:
            if g.standings is None:
                continue
            tiers = next(x.tiers for x in config.groups if x.code == g.code)
            lines += ["", f"Nhóm {g.name} ({g.code})",
                      f"  {'Đơn vị':<40} {'Hạng giải':>9} {'Giải':>5} {'Giữ hạng giải':>14} {'Giữ giải':>9}"]
            for r in robustness(g.standings, config.deadline, tiers, samples, seed):
                name = f"{r.code} {r.name}"[:40]
                lines.append(f"  {name:<40} {r.prize_rank or '—':>9} {r.tier or '—':>5} "
                             f"{vn.percent(r.kept_prize_rank_share, 1):>14} {vn.percent(r.kept_tier_share, 1):>9}")
        return "\n".join(lines) + "\n"
