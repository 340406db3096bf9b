"""The history in the site: the audit page with its filters, one act, the chain's check, a record's history."""

import datetime as dt

import pytest
from django.urls import reverse

from thidua.accounts.models import Role
from thidua.audit.models import ChangeSet
from thidua.intake.models import IntakeRecord
from thidua.intake.services import report_save, report_submit
from thidua.units.models import Unit

pytestmark = pytest.mark.django_db
DAY = dt.date(2021, 3, 10)



@pytest.fixture
def corrected_day(campaign):
    """A team's day entered, submitted, then corrected with a reason by the district."""
    team = Unit.objects.get(campaign=campaign, code="TO-VTH-1")
    report_save(campaign=campaign, team=team, day=DAY, rows=[("M-VTH-01", "31318", 40)], actor="thu-ky-vth")
    report_submit(campaign=campaign, team=team, day=DAY, actor="thu-ky-vth")
    report_save(campaign=campaign, team=team, day=DAY, rows=[("M-VTH-01", "31318", 44)], actor="huyen-vth",
                reason="Tổ báo thiếu 4 hồ sơ buổi chiều")
    return team


@pytest.mark.parametrize("role, unit, status", [
    (Role.ADMIN, "PC06", 200), (Role.PC06, "PC06", 200), (Role.COUNCIL, None, 200),
    (Role.DISTRICT, "CAH-VTH", 403), (Role.TEAM, "TO-VTH-1", 403), (Role.VIEWER, "PC06", 403),
])
def test_the_audit_page_is_for_admin_pc06_and_the_council(login, role, unit, status):
    client = login(role, unit)
    assert client.get(reverse("audit_list")).status_code == status
    act = ChangeSet.objects.order_by("-id").first()
    assert client.get(reverse("audit_act", args=[act.id])).status_code == status


def test_filters_find_the_correction_by_reason_key_and_actor(login, corrected_day):
    client = login(Role.PC06, "PC06")
    for query in ({"ly_do": "thiếu 4"}, {"khoa": "M-VTH-01|31318", "doi_tuong": "thu_nhan", "nguoi": "huyen"}):
        page = client.get(reverse("audit_list"), query)
        acts = list(page.context["page"])
        assert [a.actor for a in acts] == ["huyen-vth"], query
        assert "Tổ báo thiếu 4 hồ sơ buổi chiều" in page.content.decode()
    assert not list(client.get(reverse("audit_list"), {"nguoi": "khong-ai"}).context["page"])


def test_an_act_shows_before_and_after(login, corrected_day):
    client = login(Role.PC06, "PC06")
    act = ChangeSet.objects.get(actor="huyen-vth")
    body = client.get(reverse("audit_act", args=[act.id])).content.decode()
    assert 'Số hồ sơ: <span class="before">40</span> → <span class="after">44</span>' in body
    assert act.hash in body and act.prev_hash in body


def test_the_audit_list_has_a_bounded_number_of_queries(login, corrected_day, django_assert_max_num_queries):
    client = login(Role.PC06, "PC06")
    for n in range(30):
        ChangeSet.objects.create(actor=f"nguoi-{n}", source="cli")
    with django_assert_max_num_queries(14):  # the acts as read: changes counted, one-change acts, names
        assert client.get(reverse("audit_list")).status_code == 200


def test_a_district_sees_the_history_of_its_teams_day_and_not_anothers(login, campaign, corrected_day):
    client = login(Role.DISTRICT, "CAH-VTH")
    page = client.get(reverse("team_day_history", args=[campaign.code, "TO-VTH-1", DAY.isoformat()]))
    body = page.content.decode()
    assert [c.changeset.actor for c in page.context["changes"]] == ["thu-ky-vth", "thu-ky-vth", "huyen-vth"]
    assert "Tổ báo thiếu 4 hồ sơ buổi chiều" in body
    assert client.get(reverse("team_day_history", args=[campaign.code, "TO-NBA-1", DAY.isoformat()])).status_code \
        == 404


def test_a_records_history_follows_its_scope(login, campaign, corrected_day):
    url = reverse("record_history", args=[campaign.code])
    key = {"doi_tuong": "thu_nhan", "khoa": f"{DAY.isoformat()}|M-VTH-01|31318"}
    own = login(Role.TEAM, "TO-VTH-1").get(url, key)
    assert [(c.before, c.after) for c in own.context["changes"]] == [(None, {"so_ho_so": 40}),
                                                                     ({"so_ho_so": 40}, {"so_ho_so": 44})]
    assert login(Role.TEAM, "TO-NBA-1").get(url, key).status_code == 404
    # A unit's record follows the unit; records of the whole campaign (machines, settings) are for
    # campaign-wide roles only.
    unit = {"doi_tuong": "don_vi", "khoa": "TO-NBA-1"}
    assert login(Role.TEAM, "TO-VTH-1").get(url, unit).status_code == 404
    assert login(Role.PC06, "PC06").get(url, unit).status_code == 200
    machine = {"doi_tuong": "may", "khoa": "M-VTH-01"}
    assert login(Role.TEAM, "TO-VTH-1").get(url, machine).status_code == 404
    assert login(Role.COUNCIL, None).get(url, machine).status_code == 200


def test_the_chain_check_from_the_page_reports_a_forged_entry(login, corrected_day):
    client = login(Role.PC06, "PC06")
    ok = client.post(reverse("audit_verify"), follow=True).content.decode()
    assert "Chuỗi nhật ký nguyên vẹn" in ok
    ChangeSet.objects.filter(actor="huyen-vth").update(reason="sửa lén")
    broken = client.post(reverse("audit_verify"), follow=True).content.decode()
    assert "Chuỗi nhật ký bị phá" in broken and "huyen-vth" in broken
    ChangeSet.objects.filter(actor="huyen-vth").update(reason="Tổ báo thiếu 4 hồ sơ buổi chiều")
    IntakeRecord.objects.filter(day=DAY, machine__code="M-VTH-01").update(applications=400)
    counts = client.post(reverse("audit_verify"), follow=True).content.decode()
    assert "số liệu không khớp" in counts and "là 400, nhật ký ghi 44" in counts
    assert login(Role.COUNCIL, None).post(reverse("audit_verify")).status_code == 403


def test_a_count_created_by_an_import_shows_its_creation_then_its_corrections(login, campaign, write_source,
                                                                               run_import):
    from conftest import HEADERS

    rows = [HEADERS["thu_nhan"], [DAY, "M-VTH-01", "31321", 30]]
    assert run_import(write_source({"thu_nhan": rows}, "xlsx")).ok
    rows[1][3] = 33
    assert run_import(write_source({"thu_nhan": rows}, "xlsx"), replace=True, reason="Sai số liệu buổi sáng").ok
    page = login(Role.TEAM, "TO-VTH-1").get(reverse("record_history", args=[campaign.code]),
                                             {"doi_tuong": "thu_nhan", "khoa": f"{DAY.isoformat()}|M-VTH-01|31321"})
    entries = [(c.changeset.reason, c.before, c.after) for c in page.context["changes"]]
    assert entries == [("", None, {"so_ho_so": 30}), ("Sai số liệu buổi sáng", {"so_ho_so": 30}, {"so_ho_so": 33})]
    day = login(Role.TEAM, "TO-VTH-1").get(reverse("team_day_history", args=[campaign.code, "TO-VTH-1",
                                                                             DAY.isoformat()]))
    assert len(day.context["changes"]) == 2


# --- acts of no campaign: about accounts bound to no unit, the territory, the history's key ---------------------

@pytest.fixture
def unbound_acts(campaign, base_data):
    """A second campaign `khac` with a team's user; an account bound to no unit whose password was reset and who made
    an API key: acts of no campaign. Return the campaign and those acts."""
    import dataclasses

    from thidua.accounts.services import user_create, user_password_reset
    from thidua.api.services import token_create
    from thidua.campaigns.services import campaign_init
    from thidua.exchange.importer import workbook_import

    other, _ = campaign_init(config=dataclasses.replace(campaign.config, code="khac"), actor="pc06")
    assert workbook_import(campaign=other, path=base_data, actor="pc06").ok
    chung = user_create(username="pc06-chung", password="Mat-khau-2021", role=Role.PC06, actor="goc")
    user_password_reset(user=chung, actor="goc", reason="Quên mật khẩu")
    token_create(user=chung, name="máy chủ", actor="pc06-chung")
    user_create(username="to-khac", password="Mat-khau-2021", role=Role.TEAM, actor="quan-tri-khac",
                unit=Unit.objects.get(campaign=other, code="TO-VTH-1"))
    return other, ChangeSet.objects.filter(campaign__isnull=True)


def as_admin_of(client, campaign, name="quan-tri-khac", superuser=False):
    """Sign the client in as an administrator bound to the campaign's PC06 (made a superuser in the database)."""
    from django.contrib.auth import get_user_model

    from thidua.accounts.services import user_create

    user = get_user_model().objects.filter(username=name).first() or user_create(
        username=name, password="Mat-khau-2021", role=Role.ADMIN, actor="goc",
        unit=Unit.objects.get(campaign=campaign, code="PC06"))
    if superuser:
        get_user_model().objects.filter(pk=user.pk).update(is_superuser=True)
        user.refresh_from_db()
    client.force_login(user)
    return client


def test_an_administrator_bound_to_a_campaign_reads_no_act_of_no_campaign(client, unbound_acts):
    other, unbound = unbound_acts
    client = as_admin_of(client, other)
    listed = client.get(reverse("audit_list"), {"doi_tuong": "user"})
    assert {a.campaign_id for a in listed.context["page"]} == {other.id}
    assert "pc06-chung" not in listed.content.decode()
    for query in ({}, {"doi_tuong": "api_token"}, {"nguoi": "goc"}, {"dot": other.code}):
        assert all(a.campaign_id == other.id for a in client.get(reverse("audit_list"), query).context["page"]), query
    for act in unbound:
        assert client.get(reverse("audit_act", args=[act.id])).status_code == 404
    history = client.get(reverse("record_history", args=[other.code]), {"doi_tuong": "user", "khoa": "pc06-chung"})
    assert history.status_code == 404  # an account bound to no unit: not one this administrator manages


@pytest.mark.parametrize("superuser", [False, True])
def test_whoever_is_bound_to_no_unit_or_a_superuser_reads_them(client, login, unbound_acts, superuser):
    other, unbound = unbound_acts
    client = as_admin_of(client, other, name="sieu", superuser=True) if superuser else login(Role.COUNCIL, None)
    listed = client.get(reverse("audit_list"), {"doi_tuong": "user"})
    assert {a.campaign_id for a in listed.context["page"]} >= {None, other.id}
    for act in unbound:
        assert client.get(reverse("audit_act", args=[act.id])).status_code == 200


def test_the_chain_check_names_a_break_of_no_campaign_only_to_whoever_reads_it(client, login, unbound_acts):
    other, unbound = unbound_acts
    unbound.filter(actor="pc06-chung").update(reason="sửa lén")
    bound = as_admin_of(client, other).post(reverse("audit_verify"), follow=True).content.decode()
    assert "Chuỗi nhật ký bị phá ở mục số" in bound and "ngoài phạm vi của bạn" in bound
    assert "pc06-chung" not in bound
    unbound_admin = login(Role.ADMIN, None).post(reverse("audit_verify"), follow=True).content.decode()
    assert "Chuỗi nhật ký bị phá" in unbound_admin and "pc06-chung" in unbound_admin


def test_the_chain_check_names_an_account_of_no_campaign_only_to_whoever_reads_it(client, login, unbound_acts):
    from thidua.accounts.models import Profile

    other, _ = unbound_acts
    Profile.objects.filter(user__username="pc06-chung").update(role=Role.ADMIN)
    bound = as_admin_of(client, other).post(reverse("audit_verify"), follow=True).content.decode()
    assert "số liệu không khớp" in bound and "ngoài phạm vi của bạn" in bound and "pc06-chung" not in bound
    unbound_admin = login(Role.ADMIN, None).post(reverse("audit_verify"), follow=True).content.decode()
    assert "Người dùng «pc06-chung»: vai trò" in unbound_admin
    Profile.objects.filter(user__username="pc06-chung").update(role=Role.PC06)
    Profile.objects.filter(user__username="to-khac").update(role=Role.ADMIN)
    bound = as_admin_of(client, other).post(reverse("audit_verify"), follow=True).content.decode()
    assert "Người dùng «to-khac»: vai trò" in bound
