"""Campaign settings: the reference file, and every kind of bad settings named in Vietnamese."""

import copy
import datetime as dt
import tomllib
from decimal import Decimal
from pathlib import Path

import pytest

from thidua.campaigns.config import ConfigError, config_from_json, load_config, parse_config

REFERENCE = Path(__file__).resolve().parents[1] / "campaigns" / "hau-giang-2021.toml"


@pytest.fixture
def raw():
    with open(REFERENCE, "rb") as fh:
        return tomllib.load(fh)


def errors_of(data) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        parse_config(data)
    return caught.value.errors


def test_reference_campaign_carries_the_plan_numbers():
    c = load_config(REFERENCE)
    assert (c.code, c.province, c.structure) == ("hau-giang-2021", "93", "legacy")
    assert (c.start, c.deadline) == (dt.date(2021, 2, 25), dt.date(2021, 7, 1))
    assert c.max_per_machine_day == 2000
    district, province = c.groups
    assert (district.code, district.kind, province.code, province.kind) == ("cap_huyen", "scored", "cap_tinh",
                                                                            "nomination")
    assert [(t.rank, t.cash_vnd, t.individuals, t.bonus_points) for t in district.tiers] == [
        (1, 10_000_000, 3, 3), (2, 7_000_000, 2, 2), (3, 5_000_000, 1, 1)]
    assert (province.collectives, province.individuals) == (2, 5)


def test_scale_values_are_exact_decimals():
    scale = load_config(REFERENCE).scale
    assert scale.bonus_step == Decimal("0.05")
    assert scale.early_points_per_day == Decimal("0.5")
    assert scale.intake_points == Decimal(70)


def test_settings_survive_the_round_trip_through_the_database_json():
    c = load_config(REFERENCE)
    assert config_from_json(copy.deepcopy(c.as_json())) == c


def test_unknown_key_is_named(raw):
    raw["scale"]["bonus_stpe"] = 0.05
    assert any("bonus_stpe" in e and "không được biết đến" in e for e in errors_of(raw))


def test_unknown_top_level_key_is_named(raw):
    raw["deadlne"] = dt.date(2021, 7, 1)
    assert any("deadlne" in e for e in errors_of(raw))


def test_wrong_type_is_named(raw):
    raw["max_per_machine_day"] = "2000"
    assert any("max_per_machine_day" in e and "số nguyên" in e for e in errors_of(raw))


def test_deadline_before_start_is_refused(raw):
    raw["deadline"] = dt.date(2021, 2, 1)
    assert any("hạn cuối 01/02/2021 trước ngày bắt đầu 25/02/2021" in e for e in errors_of(raw))


def test_tiers_out_of_order_are_refused(raw):
    tiers = raw["groups"][0]["tiers"]
    tiers[0]["rank"], tiers[1]["rank"] = 2, 1
    assert any("các hạng phải theo thứ tự" in e for e in errors_of(raw))


def test_a_lower_tier_cannot_pay_more(raw):
    raw["groups"][0]["tiers"][2]["cash_vnd"] = 20_000_000
    assert any("hạng 3 không được thưởng nhiều hơn hạng 2" in e for e in errors_of(raw))


def test_duplicate_group_codes_are_refused(raw):
    raw["groups"][1]["code"] = "cap_huyen"
    assert any("cap_huyen" in e and "trùng" in e for e in errors_of(raw))


def test_unknown_group_kind_is_refused(raw):
    raw["groups"][1]["kind"] = "lottery"
    assert any("groups[2].kind" in e for e in errors_of(raw))


def test_date_given_as_text_is_refused(raw):
    raw["start"] = "25/02/2021"
    assert any("campaign.start" in e and "YYYY-MM-DD" in e for e in errors_of(raw))


def test_negative_scale_value_is_refused(raw):
    raw["scale"]["early_max"] = -1
    assert any("scale.early_max" in e for e in errors_of(raw))


def test_every_problem_is_reported_at_once(raw):
    raw["scale"]["oops"] = 1
    raw["deadline"] = dt.date(2020, 1, 1)
    raw["max_per_machine_day"] = 0
    assert len(errors_of(raw)) == 3


def test_non_working_day_outside_the_period_is_refused(raw):
    raw["non_working_days"] = [dt.date(2021, 8, 1)]
    assert any("01/08/2021" in e for e in errors_of(raw))


def test_broken_toml_is_reported(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text("code = \n", encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_config(bad)
    assert "không đúng cú pháp TOML" in caught.value.errors[0]
