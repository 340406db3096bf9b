from django.db import migrations


def create_head(apps, schema_editor):
    apps.get_model("audit", "ChainHead").objects.get_or_create(pk=1)


class Migration(migrations.Migration):
    dependencies = [("audit", "0002_chain")]
    operations = [migrations.RunPython(create_head, migrations.RunPython.noop)]
