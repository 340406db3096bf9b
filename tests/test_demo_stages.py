"""`thidua demo --stage`: the demo carried past its deadline by the real steps, each at its moment, by the demo's
accounts; the history verifies; every screen after the deadline has something to show."""

import datetime as dt
from pathlib import Path

import pytest
from django.db import transaction
from django.test import override_settings

from thidua.audit.models import Change
from thidua.awards.models import Appeal, Snapshot
from thidua.campaigns.models import Status
from thidua.demo.services import DemoError, demo_setup
from thidua.intake.integrity import data_verify

pytestmark = pytest.mark.django_db
REFERENCE = Path(__file__).resolve().parents[1] / "campaigns" / "hau-giang-2021.toml"
FAST_HASHER = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(scope="module")
def demo_config(tmp_path_factory) -> Path:
    text = REFERENCE.read_text(encoding="utf-8").replace('code = "hau-giang-2021"', 'code = "demo-giai-doan"')
    path = tmp_path_factory.mktemp("demo-stage") / "demo.toml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def decided(base_data, django_db_blocker, demo_config):
    with django_db_blocker.unblock(), transaction.atomic(), override_settings(PASSWORD_HASHERS=FAST_HASHER):
        yield demo_setup(seed=7, config_path=demo_config, stage=Status.DECIDED)
        transaction.set_rollback(True)


def test_the_decided_stage_takes_every_step_in_order_at_its_moment(decided):
    campaign = decided.campaign
    assert campaign.status == Status.DECIDED
    steps = list(Change.objects.filter(changeset__campaign=campaign, entity="campaign.status")
                 .order_by("changeset__seq").values_list("after__status", "changeset__actor", "changeset__at"))
    assert [s for s, _, _ in steps] == ["running", "closed", "closed", "scored", "published", "proposed", "decided"]
    assert [a for _, a, _ in steps][1:] == ["pc06", "hoidong", "pc06", "pc06", "pc06", "hoidong"]
    moments = [at for _, _, at in steps]
    assert moments == sorted(moments) and moments[1].date() > campaign.deadline
    assert campaign.workflow["proposal"]["number"] == 15 and campaign.workflow["decision"]["number"] == 1234
    assert decided.today == dt.date.fromisoformat(campaign.workflow["decision"]["date"]) + dt.timedelta(days=1)


def test_the_stage_freezes_the_standings_and_the_history_verifies(decided):
    snapshot = Snapshot.objects.get(campaign=decided.campaign, version=1)
    assert snapshot.intact and snapshot.payload()["as_of"] == decided.campaign.deadline.isoformat()
    assert data_verify() is None


def test_the_stage_hears_appeals_and_keeps_both_snapshots(decided):
    appeals = Appeal.objects.filter(campaign=decided.campaign).order_by("number")
    assert [(a.kind, a.status) for a in appeals] == [("day", "accepted"), ("rule", "rejected")]
    assert appeals[0].evidence.count() == 1 and appeals[0].snapshot_after.version == 2
    assert list(Snapshot.objects.filter(campaign=decided.campaign).values_list("version", flat=True)) == [1, 2]


def test_a_stage_and_a_today_together_are_refused():
    with pytest.raises(DemoError, match="Chọn một trong hai"):
        demo_setup(seed=1, today=dt.date(2021, 5, 1), stage=Status.SCORED)
    with pytest.raises(DemoError, match="không có"):
        demo_setup(seed=1, stage="archived")


def test_every_quota_is_nominated_in_full_with_evidence_and_approved(decided):
    """issue 10: nominations — by each unit's own account through the real service, PC06 accepts, the council
    approves, all before the Tờ trình."""
    from thidua.awards import nominations
    from thidua.awards.models import Evidence, Nomination

    campaign = decided.campaign
    used = nominations.places_used(campaign)
    quotas = nominations.quotas(campaign)
    assert quotas and all(used.get(q.key, 0) == q.size for q in quotas), (used, quotas)
    made = Nomination.objects.filter(campaign=campaign)
    assert set(made.values_list("status", flat=True)) == {"approved"}
    assert Evidence.objects.filter(nomination__campaign=campaign).count() == made.count()
    assert "pc06" in set(made.values_list("proposed_by", flat=True)) and made.exclude(proposed_by="pc06").exists()
