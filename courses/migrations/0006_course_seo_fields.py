"""Editable title and description for search engines and shares.

Adding a column makes SQLite rebuild courses_course, and the rebuild drops the FTS5 triggers of
migration 0002: they are re-created after the columns are added, and again after a reverse removes them
(the rebuild keeps every row and id, so the index itself stays current).
"""

from django.db import migrations, models

from courses.migrations._full_text_search import ensure_sqlite_index


def recreate_search_triggers(apps, schema_editor):
    ensure_sqlite_index(schema_editor.connection)


class Migration(migrations.Migration):
    dependencies = [
        ("courses", "0005_partner_managers_group"),
    ]

    operations = [
        # Runs last when reversing, after the columns are removed.
        migrations.RunPython(migrations.RunPython.noop, recreate_search_triggers),
        migrations.AddField(
            model_name="course",
            name="seo_description",
            field=models.CharField(
                blank=True,
                help_text="The snippet under the title in search results and shares. Blank: the start of the description.",
                max_length=160,
                verbose_name="description for search engines",
            ),
        ),
        migrations.AddField(
            model_name="course",
            name="seo_title",
            field=models.CharField(
                blank=True,
                help_text="Shown in search results and shares, followed by “ · careerguide”. Blank: the title, its format and provider.",
                max_length=70,
                verbose_name="title for search engines",
            ),
        ),
        migrations.AddField(
            model_name="historicalcourse",
            name="seo_description",
            field=models.CharField(
                blank=True,
                help_text="The snippet under the title in search results and shares. Blank: the start of the description.",
                max_length=160,
                verbose_name="description for search engines",
            ),
        ),
        migrations.AddField(
            model_name="historicalcourse",
            name="seo_title",
            field=models.CharField(
                blank=True,
                help_text="Shown in search results and shares, followed by “ · careerguide”. Blank: the title, its format and provider.",
                max_length=70,
                verbose_name="title for search engines",
            ),
        ),
        migrations.RunPython(recreate_search_triggers, migrations.RunPython.noop),
    ]
