"""Writes on campaigns."""

from django.db import transaction

from thidua.audit.chain import changeset_seal
from thidua.audit.services import changeset_open, reason_problem, record_change

from .config import PAPER_SECTIONS, CampaignConfig, scored_settings
from .models import Campaign, CompetitionGroup, Status


class CampaignError(Exception):
    pass


@transaction.atomic
def campaign_init(*, config: CampaignConfig, actor: str, reason: str = "",
                  synthetic: bool | None = None) -> tuple[Campaign, str]:
    """Create the campaign of a settings file, or update it; return it and `created`, `updated` or `unchanged`.

    `synthetic` marks a campaign holding generated data (the demo's), labelled so wherever it shows; None keeps the
    campaign's mark (none for a new one). The mark is recorded with the settings: a mark changed directly in the
    database would pass generated data for real, or real data for generated. Settings of a campaign that has been
    scored are locked: the standings were computed with them.
    """
    problem = reason_problem(reason)
    if problem:
        raise CampaignError(problem)
    settings = config.as_json()
    campaign = Campaign.objects.select_for_update().filter(code=config.code).first()
    created = campaign is None
    if campaign is not None and campaign.status not in {Status.DRAFT, Status.RUNNING, Status.CLOSED}:
        if scored_settings(settings) == scored_settings(campaign.settings) and (
                config.name, config.province, config.structure, config.start, config.deadline) == (
                campaign.name, campaign.province_code, campaign.structure, campaign.start, campaign.deadline):
            return campaign, _papers_update(campaign, settings, actor, reason)
        raise CampaignError(f"Đợt thi đua «{config.code}» đã chấm điểm ({campaign.get_status_display()}): "
                            "không sửa được cấu hình.")
    fields = {"name": config.name, "province_code": config.province, "structure": config.structure,
              "start": config.start, "deadline": config.deadline, "settings": settings,
              "synthetic": synthetic if synthetic is not None else bool(campaign and campaign.synthetic)}
    if created:
        campaign = Campaign.objects.create(code=config.code, **fields)
        before = None
    else:
        before = {k: getattr(campaign, k) for k in fields}
        if before == fields:
            return campaign, "unchanged"
        for key, value in fields.items():
            setattr(campaign, key, value)
        campaign.save()
    changeset = changeset_open(campaign=campaign, actor=actor, source="cli", reason=reason or "init-campaign")
    record_change(changeset, "campaign", config.code, before, fields)
    wanted = {g.code: g for g in config.groups}
    for group in CompetitionGroup.objects.filter(campaign=campaign):
        if group.code not in wanted:
            if group.units.exists():
                raise CampaignError(f"Nhóm «{group.code}» còn đơn vị tham gia, không bỏ khỏi cấu hình được.")
            group.delete()
    for g in config.groups:
        CompetitionGroup.objects.update_or_create(campaign=campaign, code=g.code,
                                                  defaults={"name": g.name, "kind": g.kind})
    changeset_seal(changeset)
    return campaign, "created" if created else "updated"


def _papers_update(campaign: Campaign, settings: dict, actor: str, reason: str) -> str:
    """Change only the documents' wording of a scored campaign (PAPER_SECTIONS): the scale stays locked."""
    before = {k: campaign.settings.get(k) for k in PAPER_SECTIONS}
    after = {k: settings.get(k) for k in PAPER_SECTIONS}
    if before == after:
        return "unchanged"
    campaign.settings = {**campaign.settings, **after}
    campaign.save(update_fields=["settings", "updated_at"])
    campaign.__dict__.pop("config", None)
    changeset = changeset_open(campaign=campaign, actor=actor, source="cli", reason=reason or "init-campaign")
    record_change(changeset, "campaign", campaign.code, {"settings": before}, {"settings": after})
    changeset_seal(changeset)
    return "updated"
