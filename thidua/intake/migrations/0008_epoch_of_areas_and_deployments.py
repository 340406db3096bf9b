"""The totals' epoch moves also when a unit's area or a support deployment is written: what the intake rules read
(thidua/intake/rules.py keeps them per process while the epoch stays). Triggers, written here as in 0007."""

from django.db import migrations

EPOCH = "intake_totalsepoch"


def _bump(select: str) -> str:
    return (f"INSERT INTO {EPOCH} (campaign_id, epoch) {select} "
            f"ON CONFLICT (campaign_id) DO UPDATE SET epoch = {EPOCH}.epoch + 1")


def _by_unit(row: str) -> str:
    return _bump(f"SELECT u.campaign_id, 1 FROM units_unit u WHERE u.id = {row}.unit_id")


def _by_campaign(row: str) -> str:
    return _bump(f"SELECT {row}.campaign_id, 1 WHERE true")


TABLES = {"units_unit_areas": _by_unit, "intake_supportdeployment": _by_campaign}
OPS = (("INSERT", ("NEW",)), ("UPDATE", ("OLD", "NEW")), ("DELETE", ("OLD",)))

SQLITE = [f"CREATE TRIGGER {table}_epoch_{op.lower()} AFTER {op} ON {table} BEGIN "
          + "; ".join(bump(row) for row in rows) + "; END"
          for table, bump in TABLES.items() for op, rows in OPS]
SQLITE_DROP = [f"DROP TRIGGER IF EXISTS {table}_epoch_{op.lower()}" for table in TABLES for op, _ in OPS]

POSTGRESQL = []
for table, bump in TABLES.items():
    POSTGRESQL += [
        f"""CREATE FUNCTION thidua_epoch_of_{table}() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP IN ('UPDATE', 'DELETE') THEN {bump('OLD')}; END IF;
  IF TG_OP IN ('INSERT', 'UPDATE') THEN {bump('NEW')}; END IF;
  RETURN NULL;
END $$""",
        f"CREATE TRIGGER {table}_epoch AFTER INSERT OR UPDATE OR DELETE ON {table} FOR EACH ROW EXECUTE FUNCTION "
        f"thidua_epoch_of_{table}()"]
POSTGRESQL_DROP = [sql for table in TABLES for sql in (f"DROP TRIGGER IF EXISTS {table}_epoch ON {table}",
                                                      f"DROP FUNCTION IF EXISTS thidua_epoch_of_{table}()")]


def install(apps, schema_editor):
    statements = {"sqlite": SQLITE, "postgresql": POSTGRESQL}.get(schema_editor.connection.vendor)
    if statements is None:
        raise RuntimeError(f"the epoch's triggers are written for SQLite and PostgreSQL, not "
                           f"{schema_editor.connection.vendor}")
    for sql in statements:
        schema_editor.execute(sql, params=None)


def remove(apps, schema_editor):
    for sql in {"sqlite": SQLITE_DROP, "postgresql": POSTGRESQL_DROP}[schema_editor.connection.vendor]:
        schema_editor.execute(sql, params=None)


class Migration(migrations.Migration):

    dependencies = [("intake", "0007_team_day_totals")]

    operations = [migrations.RunPython(install, remove)]
