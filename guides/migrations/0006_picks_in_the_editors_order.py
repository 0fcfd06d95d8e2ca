"""Picks keep the editor's order: the plain many-to-many's table becomes GuideSectionPick, with a position.

The table and its rows stay (state only); existing picks are numbered in the order they were added.
"""

import django.db.models.deletion
from django.db import migrations, models


def number_existing_picks(apps, schema_editor):
    Pick = apps.get_model("guides", "GuideSectionPick")
    position, section = 0, None
    for pick in Pick.objects.order_by("guidesection_id", "pk"):
        position = position + 10 if pick.guidesection_id == section else 10
        section = pick.guidesection_id
        Pick.objects.filter(pk=pick.pk).update(position=position)


class Migration(migrations.Migration):
    dependencies = [
        ("courses", "0006_course_seo_fields"),
        ("guides", "0005_one_time_password"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="GuideSectionPick",
                    fields=[
                        ("id", models.AutoField(primary_key=True, serialize=False)),
                        (
                            "guidesection",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="pick_links",
                                to="guides.guidesection",
                            ),
                        ),
                        (
                            "course",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="guide_section_picks",
                                to="courses.course",
                            ),
                        ),
                    ],
                    options={
                        "db_table": "guides_guidesection_picks",
                        "ordering": ["position", "pk"],
                        "unique_together": {("guidesection", "course")},
                        "verbose_name": "pick",
                    },
                ),
                migrations.AlterField(
                    model_name="guidesection",
                    name="picks",
                    field=models.ManyToManyField(
                        blank=True,
                        help_text="Courses and books chosen by an editor for this section, in the editor's order.",
                        related_name="guide_sections",
                        through="guides.GuideSectionPick",
                        to="courses.course",
                    ),
                ),
            ],
            database_operations=[],
        ),
        migrations.AddField(
            model_name="guidesectionpick",
            name="position",
            field=models.PositiveIntegerField(
                default=0,
                help_text="Shown in ascending order; picks with the same number keep the order they were added.",
            ),
        ),
        migrations.RunPython(number_existing_picks, migrations.RunPython.noop),
    ]
