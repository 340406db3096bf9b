"""The campaign's lifecycle moves forward one step at a time, each step recorded with its reason."""

import pytest

from thidua.audit.models import Change
from thidua.campaigns.models import Status
from thidua.campaigns.services import CampaignError, campaign_advance

pytestmark = pytest.mark.django_db


def test_steps_forward_are_recorded(campaign):
    campaign = campaign_advance(campaign=campaign, to=Status.RUNNING, actor="pc06", reason="Phát động")
    assert campaign.status == Status.RUNNING
    change = Change.objects.get(entity="campaign.status")
    assert (change.before, change.after) == ({"status": "draft"}, {"status": "running"})
    assert change.changeset.reason == "Phát động" and change.changeset.actor == "pc06"


def test_a_step_cannot_be_skipped(campaign):
    with pytest.raises(CampaignError, match="chỉ chuyển được sang «Đang diễn ra»"):
        campaign_advance(campaign=campaign, to=Status.SCORED, actor="pc06", reason="x")


def test_a_step_needs_a_reason(campaign):
    with pytest.raises(CampaignError, match="cần ghi lý do"):
        campaign_advance(campaign=campaign, to=Status.RUNNING, actor="pc06", reason="  ")


def test_the_last_step_is_final(campaign):
    for status in (Status.RUNNING, Status.CLOSED, Status.SCORED, Status.PROPOSED, Status.DECIDED):
        campaign = campaign_advance(campaign=campaign, to=status, actor="pc06", reason="bước")
    with pytest.raises(CampaignError, match="bước cuối"):
        campaign_advance(campaign=campaign, to=Status.DRAFT, actor="pc06", reason="x")
