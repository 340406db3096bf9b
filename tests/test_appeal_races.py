"""Appeals filed at once, each on a database connection of its own (committed data, transactional test): the lock
on the campaign row numbers them without a gap or a double. PostgreSQL only: the suite's SQLite database is in
memory with a shared cache, whose table locks refuse a second writer at once instead of making it wait."""

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection
from lifecycle import advance_to
from test_appeals import file

from thidua.accounts.models import Role
from thidua.accounts.services import user_create
from thidua.audit.models import Change
from thidua.campaigns.models import Status
from thidua.units.models import Unit

pytestmark = pytest.mark.django_db(transaction=True)


def test_appeals_filed_at_once_get_distinct_numbers(committed_campaign):
    """Four appeals sent at once, each on a connection of its own: the campaign row's lock numbers them 1 to 4."""
    if connection.vendor != "postgresql":
        pytest.skip("real concurrency needs PostgreSQL (the SQLite test database refuses a second writer)")
    campaign = advance_to(committed_campaign, Status.PUBLISHED)
    user = user_create(username="p-dong-thoi", password="Mat-khau-2021", role=Role.DISTRICT, actor="kiem-thu",
                       unit=Unit.objects.get(campaign=campaign, code="CAH-VTH"))
    start = threading.Barrier(4, timeout=60)

    def send(n):
        try:
            start.wait()
            return file(campaign, user, kind="rule", rule=f"Điểm {n}").number
        finally:
            connection.close()

    with ThreadPoolExecutor(4) as pool:
        numbers = sorted(pool.map(send, range(4)))
    assert numbers == [1, 2, 3, 4]
    assert Change.objects.filter(entity="khieu_nai").count() == 4
