import json
from lifecycle import advance_to
from thidua.awards.selectors import latest_snapshot
from thidua.campaigns.models import Status


def test_probe(campaign):
    c = advance_to(campaign, Status.SCORED)
    p = latest_snapshot(c).payload()
    for g in p["groups"]:
        g["standings"] = g["standings"][:3]
    print(json.dumps(p, ensure_ascii=False)[:3000])
