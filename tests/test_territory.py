"""Loading the territory from the official dataset of the vietnamadminunits package."""

import pytest

from thidua.territory.models import AdminUnit, Level
from thidua.territory.services import TerritoryError, territory_load

pytestmark = pytest.mark.django_db


def counts(structure: str, province: str) -> dict[str, int]:
    qs = AdminUnit.objects.filter(structure=structure, province_code=province)
    return {level: qs.filter(level=level).count() for level in Level.values}


def test_hau_giang_legacy_has_8_districts_and_75_communes():
    territory_load(province="93", actor="kiem-thu")
    assert counts("legacy", "93") == {"province": 1, "district": 8, "commune": 75}
    vi_thanh = AdminUnit.objects.get(structure="legacy", code="930")
    assert vi_thanh.name == "Thành phố Vị Thanh"
    assert vi_thanh.parent.code == "93"
    assert AdminUnit.objects.get(structure="legacy", code="31318").parent == vi_thanh


def test_loading_twice_changes_nothing():
    territory_load(province="93", actor="kiem-thu")
    ids = list(AdminUnit.objects.order_by("id").values_list("id", "code", "name", "parent_id"))
    again = territory_load(province="93", actor="kiem-thu")
    assert (again.created, again.updated) == (0, 0)
    assert list(AdminUnit.objects.order_by("id").values_list("id", "code", "name", "parent_id")) == ids


def test_2025_structure_has_two_levels():
    territory_load(province="92", structure="2025", actor="kiem-thu")
    assert counts("2025", "92") == {"province": 1, "district": 0, "commune": 103}
    commune = AdminUnit.objects.filter(structure="2025", level=Level.COMMUNE).first()
    assert commune.parent.level == Level.PROVINCE


def test_hau_giang_is_not_a_province_of_the_2025_structure():
    with pytest.raises(TerritoryError, match="Không có tỉnh mã «93» trong cấu trúc 2025"):
        territory_load(province="93", structure="2025", actor="kiem-thu")


def test_malformed_province_code_is_refused():
    with pytest.raises(TerritoryError, match="không hợp lệ"):
        territory_load(province="93' OR 1=1 --", actor="kiem-thu")


@pytest.mark.slow
def test_whole_country_loads_in_both_structures():
    legacy = territory_load(province="all", actor="kiem-thu")
    assert AdminUnit.objects.filter(structure="legacy", level=Level.PROVINCE).count() == 63
    assert AdminUnit.objects.filter(structure="legacy", level=Level.DISTRICT).count() == 696
    assert AdminUnit.objects.filter(structure="legacy", level=Level.COMMUNE).count() > 10_000
    assert legacy.created + legacy.unchanged == AdminUnit.objects.filter(structure="legacy").count()
    territory_load(province="all", structure="2025", actor="kiem-thu")
    assert AdminUnit.objects.filter(structure="2025", level=Level.PROVINCE).count() == 34
    assert AdminUnit.objects.filter(structure="2025", level=Level.COMMUNE).count() == 3321
