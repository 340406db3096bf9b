"""The API keeps its own OpenAPI schema: schemathesis generates requests (valid and invalid) for every operation
from /api/v1/openapi.json and sends them in-process to the WSGI application with a PC06 user's token, inside the
test's transaction. No answer is a server error, and every answer, errors included, has a status, a content type
and a body that the schema declares. Derandomized: the same requests on every run."""

import datetime as dt

import pytest
import schemathesis
from conftest import CAMPAIGN_CODE
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from thidua.accounts.models import Role
from thidua.accounts.services import user_create
from thidua.api.services import token_create
from thidua.intake.services import report_save, report_submit, report_verify
from thidua.units.models import Unit
from thidua.wsgi import application

pytestmark = pytest.mark.django_db
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
# Real codes, days and intake keys drawn as often as generated ones, so that requests reach past "not found" and
# "unknown machine" to the rules and the successful answers.
REAL = {"unit_code": ("TO-VTH-1", "TO-NBA-1", "CAH-VTH", "PC06"), "ma_to": ("TO-VTH-1", "TO-NBA-1", "CAH-VTH"),
        "ngay": ("2021-03-10", "2021-03-11", "2021-03-12", "2021-08-01")}
REAL_ROWS = (("2021-03-12", "M-VTH-01", "31318"), ("2021-03-12", "M-NBA-02", "31341"),
             ("2021-03-10", "M-VTH-01", "31318"), ("2021-03-11", "M-NBA-01", "31340"))

# Loaded when the module is collected (the view of the schema reads no database): schemathesis's lazy loader
# (`schemathesis.pytest.from_fixture`) does not work with pytest 9.
schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", application,
                                        config=schemathesis.Config.from_dict({"parameters": {"code": CAMPAIGN_CODE}}))


@schema.hook
def flatmap_path_parameters(context, path_parameters):
    if not path_parameters:
        return st.just(path_parameters)
    return st.fixed_dictionaries({name: st.sampled_from((value, *REAL.get(name, ())))
                                  for name, value in path_parameters.items()})


@schema.hook
def flatmap_body(context, body):
    rows = body.get("rows") if isinstance(body, dict) else None
    if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
        return st.just(body)

    def with_keys(keys):
        return {**body, "rows": [{**r, **dict(zip(("ngay", "ma_may", "ma_xa"), k, strict=True))} if k else r
                                 for r, k in zip(rows, keys, strict=True)]}

    return st.lists(st.sampled_from((*REAL_ROWS, None)), min_size=len(rows), max_size=len(rows)).map(with_keys)


@pytest.fixture(autouse=True)
def keep_the_tests_connection():
    """Keep the database connection across requests, as Django's test client does: the WSGI application closes
    it when a request ends (`close_old_connections`), which, on PostgreSQL, would end the test's transaction."""
    for signal in (request_started, request_finished):
        signal.disconnect(close_old_connections)
    yield
    for signal in (request_started, request_finished):
        signal.connect(close_old_connections)


@pytest.fixture
def pc06_token(campaign):
    """Return a PC06 user's token, with days in each state of the report: 10/03 (VTH) sent, 11/03 (NBA) verified,
    12/03 not sent."""
    vth, nba = (Unit.objects.get(campaign=campaign, code=code) for code in ("TO-VTH-1", "TO-NBA-1"))
    report_save(campaign=campaign, team=vth, day=dt.date(2021, 3, 10), rows=[("M-VTH-01", "31318", 5)], actor="to")
    report_submit(campaign=campaign, team=vth, day=dt.date(2021, 3, 10), actor="to")
    report_verify(report=report_submit(campaign=campaign, team=nba, day=dt.date(2021, 3, 11), actor="to"),
                  actor="huyen")
    user = user_create(username="pc06-schema", password="Mat-khau-2021", role=Role.PC06, actor="kiem-thu",
                       unit=Unit.objects.get(campaign=campaign, code="PC06"))
    return token_create(user=user, name="schemathesis", actor="kiem-thu")[1]


@schema.parametrize()
@settings(max_examples=40, derandomize=True, deadline=None, database=None, phases=[Phase.explicit, Phase.generate],
          suppress_health_check=list(HealthCheck))
def test_every_answer_conforms_to_the_schema(case, pc06_token):
    case.call_and_validate(headers={"Authorization": f"Bearer {pc06_token}"}, checks=CHECKS)
