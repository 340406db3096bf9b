"""The commune-day totals, kept by triggers on the intake as the team-day totals are (0007; both databases).

The communes' forecast sums these rows instead of the records: a commune of a province at a national volume has a
hundred thousand records, and after each act the forecast sums again the communes the act wrote. Every write of an
intake record moves its commune-day total in the same transaction, `changed_in` = the record's act; a record moved
to another commune, day or campaign bumps the campaign's epoch (a record deleted or rewritten without a new act
already does, by 0007's triggers). The triggers are written here, not imported, so that this migration stays what it
was when later ones change them.
"""

import django.db.models.deletion
from django.db import migrations, models

TOTAL = "intake_communedaytotal"
EPOCH = "intake_totalsepoch"
KEY = "campaign_id = {r}.campaign_id AND commune_id = {r}.commune_id AND day = {r}.day"
ADD = (f"INSERT INTO {TOTAL} (campaign_id, commune_id, day, applications, records, changed_in_id) "
       "VALUES (NEW.campaign_id, NEW.commune_id, NEW.day, NEW.applications, 1, NEW.changeset_id) "
       f"ON CONFLICT (campaign_id, commune_id, day) DO UPDATE SET applications = {TOTAL}.applications + "
       f"excluded.applications, records = {TOTAL}.records + 1, changed_in_id = excluded.changed_in_id")
TAKE = (f"UPDATE {TOTAL} SET applications = applications - OLD.applications, records = records - 1 "
        f"WHERE {KEY.format(r='OLD')}; DELETE FROM {TOTAL} WHERE {KEY.format(r='OLD')} AND records = 0")
SAME_KEY = "NEW.campaign_id = OLD.campaign_id AND NEW.commune_id = OLD.commune_id AND NEW.day = OLD.day"
SET = (f"UPDATE {TOTAL} SET applications = applications - OLD.applications + NEW.applications, "
       f"changed_in_id = NEW.changeset_id WHERE {KEY.format(r='NEW')}")


def _bump(campaign: str) -> str:
    return (f"INSERT INTO {EPOCH} (campaign_id, epoch) VALUES ({campaign}, 1) "
            f"ON CONFLICT (campaign_id) DO UPDATE SET epoch = {EPOCH}.epoch + 1")


SQLITE = [
    f"CREATE TRIGGER intake_commune_total_insert AFTER INSERT ON intake_intakerecord BEGIN {ADD}; END",
    f"CREATE TRIGGER intake_commune_total_set AFTER UPDATE ON intake_intakerecord WHEN {SAME_KEY} AND "
    f"(NEW.applications <> OLD.applications OR NEW.changeset_id IS NOT OLD.changeset_id) BEGIN {SET}; END",
    f"CREATE TRIGGER intake_commune_total_move AFTER UPDATE ON intake_intakerecord WHEN NOT ({SAME_KEY}) "
    f"BEGIN {TAKE}; {ADD}; {_bump('OLD.campaign_id')}; {_bump('NEW.campaign_id')}; END",
    f"CREATE TRIGGER intake_commune_total_delete AFTER DELETE ON intake_intakerecord BEGIN {TAKE}; END",
]
SQLITE_DROP = [f"DROP TRIGGER IF EXISTS intake_commune_total_{n}" for n in ("insert", "set", "move", "delete")]

POSTGRESQL = [
    f"""CREATE FUNCTION thidua_commune_total() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'UPDATE' AND {SAME_KEY} THEN
    IF NEW.applications <> OLD.applications OR NEW.changeset_id IS DISTINCT FROM OLD.changeset_id THEN
      {SET};
    END IF;
    RETURN NULL;
  END IF;
  IF TG_OP IN ('UPDATE', 'DELETE') THEN {TAKE}; END IF;
  IF TG_OP IN ('INSERT', 'UPDATE') THEN {ADD}; END IF;
  IF TG_OP = 'UPDATE' THEN {_bump('OLD.campaign_id')}; {_bump('NEW.campaign_id')}; END IF;
  RETURN NULL;
END $$""",
    "CREATE TRIGGER intake_commune_total AFTER INSERT OR UPDATE OR DELETE ON intake_intakerecord "
    "FOR EACH ROW EXECUTE FUNCTION thidua_commune_total()",
]
POSTGRESQL_DROP = ["DROP TRIGGER IF EXISTS intake_commune_total ON intake_intakerecord",
                   "DROP FUNCTION IF EXISTS thidua_commune_total()"]

BACKFILL = (f"INSERT INTO {TOTAL} (campaign_id, commune_id, day, applications, records, changed_in_id) "
            "SELECT campaign_id, commune_id, day, SUM(applications), COUNT(*), MAX(changeset_id) "
            "FROM intake_intakerecord GROUP BY campaign_id, commune_id, day")


def install(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    statements = {"sqlite": SQLITE, "postgresql": POSTGRESQL}.get(vendor)
    if statements is None:
        raise RuntimeError(f"the commune-day totals' triggers are written for SQLite and PostgreSQL, not {vendor}")
    for sql in [BACKFILL, *statements]:
        schema_editor.execute(sql, params=None)


def remove(apps, schema_editor):
    for sql in {"sqlite": SQLITE_DROP, "postgresql": POSTGRESQL_DROP}[schema_editor.connection.vendor]:
        schema_editor.execute(sql, params=None)
    schema_editor.execute(f"DELETE FROM {TOTAL}", params=None)


class Migration(migrations.Migration):

    dependencies = [
        ('audit', '0006_source_system'),
        ('campaigns', '0002_lifecycle'),
        ('intake', '0008_epoch_of_areas_and_deployments'),
        ('territory', '0001_initial'),
    ]

    operations = [
        migrations.CreateModel(
            name='CommuneDayTotal',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('day', models.DateField()),
                ('applications', models.PositiveBigIntegerField()),
                ('records', models.PositiveIntegerField()),
                ('campaign', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='campaigns.campaign')),
                ('changed_in', models.ForeignKey(db_constraint=False, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='audit.changeset')),
                ('commune', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='territory.adminunit')),
            ],
            options={
                'indexes': [models.Index(fields=['campaign', 'commune', 'day', 'applications'], name='commune_day_total_sums'), models.Index(fields=['changed_in'], name='commune_day_total_changed_in')],
                'constraints': [models.UniqueConstraint(fields=('campaign', 'commune', 'day'), name='commune_day_total_key')],
            },
        ),
        migrations.RunPython(install, remove),
    ]
