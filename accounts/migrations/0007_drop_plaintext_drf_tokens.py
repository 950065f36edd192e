"""Drop DRF's old single-token table: its rows hold API keys in clear.

Migration 0004 copied every one of those keys into ``ApiToken`` as a SHA-256 (so existing
clients kept working), and no code has read the old table since ``rest_framework.authtoken``
left ``INSTALLED_APPS`` with it. Keeping it only kept live credentials readable by anyone
with a database dump. This drops the table where it exists and forgets the ``authtoken``
app's migration records, so adding the app back would create it afresh.

Not reversible in content: the clear keys are gone on purpose (the hashed copies remain).
"""

from django.db import migrations

OLD_TABLE = "authtoken_token"


def drop_plaintext_tokens(apps, schema_editor) -> None:
    connection = schema_editor.connection
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        if OLD_TABLE in connection.introspection.table_names(cursor):
            cursor.execute(f"DROP TABLE {quote(OLD_TABLE)}")
        cursor.execute(
            f"DELETE FROM {quote('django_migrations')} WHERE {quote('app')} = %s",
            ["authtoken"],
        )


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0006_email_consent_default_off"),
    ]

    operations = [
        migrations.RunPython(drop_plaintext_tokens, migrations.RunPython.noop, elidable=True),
    ]
