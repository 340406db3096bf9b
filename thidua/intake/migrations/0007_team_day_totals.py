"""The team-day totals and the epoch of what else the standings read, both kept by triggers (both databases).

The triggers are written here, not imported, so that this migration stays what it was when later ones change them.
Every write of an intake record — whatever the path: the ORM, the importer's raw SQL, a future one — moves its
team-day total in the same transaction; a record deleted, moved to another team or day, or rewritten without a new
act bumps the campaign's epoch, as does any write of a unit, a machine or an assignment.
"""

import django.db.models.deletion
from django.db import migrations, models

TOTAL = "intake_teamdaytotal"
EPOCH = "intake_totalsepoch"
KEY = "campaign_id = {r}.campaign_id AND team_id = {r}.team_id AND day = {r}.day"
ADD = (f"INSERT INTO {TOTAL} (campaign_id, team_id, day, applications, records, changed_in_id) "
       "VALUES (NEW.campaign_id, NEW.team_id, NEW.day, NEW.applications, 1, NEW.changeset_id) "
       f"ON CONFLICT (campaign_id, team_id, day) DO UPDATE SET applications = {TOTAL}.applications + "
       f"excluded.applications, records = {TOTAL}.records + 1, changed_in_id = excluded.changed_in_id")
TAKE = (f"UPDATE {TOTAL} SET applications = applications - OLD.applications, records = records - 1 "
        f"WHERE {KEY.format(r='OLD')}; DELETE FROM {TOTAL} WHERE {KEY.format(r='OLD')} AND records = 0")
SAME_KEY = "NEW.campaign_id = OLD.campaign_id AND NEW.team_id = OLD.team_id AND NEW.day = OLD.day"
SET = (f"UPDATE {TOTAL} SET applications = applications - OLD.applications + NEW.applications, "
       f"changed_in_id = NEW.changeset_id WHERE {KEY.format(r='NEW')}")


def _bump(campaign: str, where: str = "true") -> str:
    return (f"INSERT INTO {EPOCH} (campaign_id, epoch) SELECT {campaign}, 1 WHERE {where} "
            f"ON CONFLICT (campaign_id) DO UPDATE SET epoch = {EPOCH}.epoch + 1")


def _bump_for_machine(machine: str) -> str:
    return (f"INSERT INTO {EPOCH} (campaign_id, epoch) SELECT m.campaign_id, 1 FROM intake_machine m "
            f"WHERE m.id = {machine} ON CONFLICT (campaign_id) DO UPDATE SET epoch = {EPOCH}.epoch + 1")


# The tables whose every write bumps the epoch, and how a row names its campaign.
EPOCH_TABLES = {"units_unit": "campaign_id", "intake_machine": "campaign_id", "intake_assignment": None}

SQLITE = [
    f"CREATE TRIGGER intake_total_insert AFTER INSERT ON intake_intakerecord BEGIN {ADD}; END",
    f"CREATE TRIGGER intake_total_set AFTER UPDATE ON intake_intakerecord WHEN {SAME_KEY} AND "
    "(NEW.applications <> OLD.applications OR NEW.changeset_id IS NOT OLD.changeset_id) "
    f"BEGIN {SET}; {_bump('NEW.campaign_id', 'NEW.changeset_id IS OLD.changeset_id')}; END",
    f"CREATE TRIGGER intake_total_move AFTER UPDATE ON intake_intakerecord WHEN NOT ({SAME_KEY}) "
    f"BEGIN {TAKE}; {ADD}; {_bump('OLD.campaign_id')}; {_bump('NEW.campaign_id')}; END",
    f"CREATE TRIGGER intake_total_delete AFTER DELETE ON intake_intakerecord "
    f"BEGIN {TAKE}; {_bump('OLD.campaign_id')}; END",
]
for table, column in EPOCH_TABLES.items():
    for op, rows in (("INSERT", ("NEW",)), ("UPDATE", ("OLD", "NEW")), ("DELETE", ("OLD",))):
        bumps = "; ".join(_bump(f"{r}.{column}") if column else _bump_for_machine(f"{r}.machine_id") for r in rows)
        SQLITE.append(f"CREATE TRIGGER {table}_epoch_{op.lower()} AFTER {op} ON {table} BEGIN {bumps}; END")
SQLITE_DROP = ([f"DROP TRIGGER IF EXISTS intake_total_{n}" for n in ("insert", "set", "move", "delete")]
               + [f"DROP TRIGGER IF EXISTS {t}_epoch_{op}" for t in EPOCH_TABLES
                  for op in ("insert", "update", "delete")])

POSTGRESQL = [
    f"""CREATE FUNCTION thidua_intake_total() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'UPDATE' AND {SAME_KEY} THEN
    IF NEW.applications <> OLD.applications OR NEW.changeset_id IS DISTINCT FROM OLD.changeset_id THEN
      {SET};
      IF NEW.changeset_id IS NOT DISTINCT FROM OLD.changeset_id THEN {_bump('NEW.campaign_id')}; END IF;
    END IF;
    RETURN NULL;
  END IF;
  IF TG_OP IN ('UPDATE', 'DELETE') THEN
    {TAKE};
    {_bump('OLD.campaign_id')};
  END IF;
  IF TG_OP IN ('INSERT', 'UPDATE') THEN
    {ADD};
  END IF;
  IF TG_OP = 'UPDATE' THEN {_bump('NEW.campaign_id')}; END IF;
  RETURN NULL;
END $$""",
    "CREATE TRIGGER intake_total AFTER INSERT OR UPDATE OR DELETE ON intake_intakerecord "
    "FOR EACH ROW EXECUTE FUNCTION thidua_intake_total()",
    f"""CREATE FUNCTION thidua_epoch_by_campaign() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP IN ('UPDATE', 'DELETE') THEN {_bump('OLD.campaign_id')}; END IF;
  IF TG_OP IN ('INSERT', 'UPDATE') THEN {_bump('NEW.campaign_id')}; END IF;
  RETURN NULL;
END $$""",
    f"""CREATE FUNCTION thidua_epoch_by_machine() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP IN ('UPDATE', 'DELETE') THEN {_bump_for_machine('OLD.machine_id')}; END IF;
  IF TG_OP IN ('INSERT', 'UPDATE') THEN {_bump_for_machine('NEW.machine_id')}; END IF;
  RETURN NULL;
END $$""",
] + [f"CREATE TRIGGER {table}_epoch AFTER INSERT OR UPDATE OR DELETE ON {table} FOR EACH ROW EXECUTE FUNCTION "
     f"thidua_epoch_by_{'campaign' if column else 'machine'}()" for table, column in EPOCH_TABLES.items()]
POSTGRESQL_DROP = ([f"DROP TRIGGER IF EXISTS {t}_epoch ON {t}" for t in EPOCH_TABLES]
                   + ["DROP TRIGGER IF EXISTS intake_total ON intake_intakerecord",
                      "DROP FUNCTION IF EXISTS thidua_intake_total()", "DROP FUNCTION IF EXISTS thidua_epoch_by_campaign()",
                      "DROP FUNCTION IF EXISTS thidua_epoch_by_machine()"])

BACKFILL = (f"INSERT INTO {TOTAL} (campaign_id, team_id, day, applications, records, changed_in_id) "
            "SELECT campaign_id, team_id, day, SUM(applications), COUNT(*), MAX(changeset_id) "
            "FROM intake_intakerecord GROUP BY campaign_id, team_id, day")


def install(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    statements = {"sqlite": SQLITE, "postgresql": POSTGRESQL}.get(vendor)
    if statements is None:
        raise RuntimeError(f"the team-day totals' triggers are written for SQLite and PostgreSQL, not {vendor}")
    for sql in [BACKFILL, *statements]:
        schema_editor.execute(sql, params=None)


def remove(apps, schema_editor):
    drops = {"sqlite": SQLITE_DROP, "postgresql": POSTGRESQL_DROP}[schema_editor.connection.vendor]
    for sql in drops:
        schema_editor.execute(sql, params=None)
    schema_editor.execute(f"DELETE FROM {TOTAL}", params=None)



class Migration(migrations.Migration):

    dependencies = [
        ('audit', '0006_source_system'),
        ('campaigns', '0002_lifecycle'),
        ('intake', '0006_commune_day_totals'),
        ('units', '0001_initial'),
    ]

    operations = [
        migrations.CreateModel(
            name='TotalsEpoch',
            fields=[
                ('campaign', models.OneToOneField(db_constraint=False, on_delete=django.db.models.deletion.CASCADE, primary_key=True, related_name='+', serialize=False, to='campaigns.campaign')),
                ('epoch', models.PositiveBigIntegerField(default=0)),
            ],
        ),
        migrations.CreateModel(
            name='TeamDayTotal',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('day', models.DateField()),
                ('applications', models.PositiveBigIntegerField()),
                ('records', models.PositiveIntegerField()),
                ('campaign', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='campaigns.campaign')),
                ('changed_in', models.ForeignKey(db_constraint=False, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='audit.changeset')),
                ('team', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='units.unit')),
            ],
            options={
                'indexes': [models.Index(fields=['changed_in'], name='team_day_total_changed_in')],
                'constraints': [models.UniqueConstraint(fields=('campaign', 'team', 'day'), name='team_day_total_key')],
            },
        ),
        migrations.RunPython(install, remove),
    ]
