"""Why a person's click is not counted (courses/counting.py). Clicks recorded before keep "" (counted), bots
aside: nothing stored tells their client or their repeats apart after the fact.
"""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("courses", "0006_course_seo_fields"),
    ]

    operations = [
        migrations.AddField(
            model_name="click",
            name="excluded_reason",
            field=models.CharField(
                blank=True,
                choices=[
                    ("", "counted"),
                    ("repeat", "repeat within 30 minutes"),
                    ("over_limit", "client over its limit"),
                ],
                default="",
                help_text="For people's clicks only: a bot's click is never counted, whatever this says.",
                max_length=10,
                verbose_name="not counted because",
            ),
        ),
    ]
