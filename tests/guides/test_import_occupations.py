from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from guides.models import Occupation, OccupationTechnology, RelatedOccupation, Technology
from tests.factories import TopicFactory
from tests.guides.occupation_files import BLS_ROWS, write_files

pytestmark = pytest.mark.django_db


def run(onet, bls) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("import_occupations", onet=onet, bls=bls, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_import_stores_each_occupations_facts_and_figures(tmp_path):
    run(*write_files(tmp_path))

    web = Occupation.objects.get(code="15-1254.00")
    assert (web.title, web.slug, web.job_zone, web.interest_code) == ("Web Developers", "web-developers", 3, "CI")
    assert (web.investigative, web.conventional) == (Decimal("5.06"), Decimal("5.09"))
    assert (web.median_wage, web.wage_year, web.entry_education) == (90930, 2024, "bachelor")
    assert (web.employment_start, web.employment_end, web.employment_change_percent) == (86, Decimal("92.5"), 7.5)
    assert (web.annual_openings, web.bls_release, web.onet_release) == (Decimal("5.4"), "2024\u201334", "")
    assert (web.pay_band, web.growth_band) == ("80k-100k", "faster")
    assert set(web.titles.values_list("title", flat=True)) == {"Web Developers", "Back End Engineer", "Web Programmer"}


def test_import_stores_no_onet_description(tmp_path):
    run(*write_files(tmp_path))

    stored = str(list(Occupation.objects.values()))
    assert "Web Developers" in stored  # positive control
    assert "never stored" not in stored


def test_a_detailed_occupation_takes_the_figures_of_its_soc_group(tmp_path):
    run(*write_files(tmp_path))

    architects = Occupation.objects.get(code="15-1299.08")
    assert (architects.bls_code, architects.median_wage) == ("15-1299", 108970)
    assert architects.interest_code == "ICR"  # the high-point codes in O*NET's order


def test_related_occupations_and_technologies_keep_order_tier_and_flags(tmp_path):
    run(*write_files(tmp_path))

    links = RelatedOccupation.objects.filter(occupation__code="15-1299.08").order_by("position")
    assert [(link.related.code, link.tier, link.position) for link in links] == [
        ("15-1254.00", "Primary-Short", 1),
        ("29-1141.00", "Supplemental", 2),
    ]
    python = OccupationTechnology.objects.get(occupation__code="15-1254.00", technology__name="Python")
    assert (python.hot, python.in_demand) == (True, True)
    assert Technology.objects.count() == 4  # Python once, used by two occupations


def test_a_second_run_changes_nothing(tmp_path):
    files = write_files(tmp_path)
    first, _ = run(*files)
    second, errors = run(*files)

    assert "Changed." in first  # positive control
    assert second.splitlines()[-1] == "Nothing changed."
    assert "occupations: 3 unchanged" in second
    assert "titles: 7 unchanged" in second
    assert errors == ""


def test_a_new_release_updates_only_what_changed(tmp_path):
    run(*write_files(tmp_path))
    rows = [row.replace("90930", "95000") for row in BLS_ROWS]
    out, _ = run(*write_files(tmp_path, bls_rows=rows))

    assert "occupations: 1 updated, 2 unchanged" in out
    assert Occupation.objects.get(code="15-1254.00").median_wage == 95000


def test_bad_lines_are_reported_with_line_number_and_reason_and_the_rest_loads(tmp_path):
    files = write_files(
        tmp_path,
        extra={
            "Job Zones.txt": ["15-1254.00\t9\t08/2023\tAnalyst"],
            "Alternate Titles.txt": ["15-1254.00\tTitle with a missing field"],
            "Occupation Data.txt": ["15-12X4.00\tBroken Code\tdesc"],
            "Related Occupations.txt": ["15-1254.00\t29-1141.00\tSomewhat-Related\t3"],
            "Technology Skills.txt": ["99-9999.00\tPython\t43232402\tDevelopment environment software\tY\tY"],
            "bls": [
                "    Cooks,35-2014,Line item,lots,1,1,1,1,1,1,1,30000,No formal educational credential,None,None,—"
            ],
        },
    )
    _, errors = run(*files)

    assert "Job Zones.txt line 5: rejected: job zone '9' is not 1 to 5" in errors
    assert "Alternate Titles.txt line 6: rejected: 2 fields, expected 4" in errors
    assert "Occupation Data.txt line 5: rejected: bad O*NET-SOC code '15-12X4.00'" in errors
    assert "Related Occupations.txt line 5: rejected: unknown relatedness tier 'Somewhat-Related'" in errors
    assert "Technology Skills.txt line 7: rejected: unknown O*NET-SOC code 99-9999.00" in errors
    assert "occupation-table-1.2.csv line 6: rejected: 'lots' is not a number" in errors
    assert Occupation.objects.count() == 3
    assert Occupation.objects.get(code="15-1254.00").job_zone == 3


def test_a_file_without_the_columns_it_needs_is_refused(tmp_path):
    onet, bls = write_files(tmp_path)
    (onet / "Job Zones.txt").write_text("O*NET-SOC Code\tZone\r\n15-1254.00\t3\r\n")

    with pytest.raises(CommandError, match=r"Job Zones\.txt: the header has no 'Job Zone' column"):
        run(onet, bls)


def test_technologies_map_to_catalog_topics_by_name_and_synonym(tmp_path):
    TopicFactory(name="PostgreSQL", synonyms="postgres")
    TopicFactory(name="Kubernetes", synonyms="k8s")
    run(*write_files(tmp_path))

    assert Technology.objects.get(name="PostgreSQL").topic.name == "PostgreSQL"
    assert Technology.objects.get(name="Kubernetes").topic.name == "Kubernetes"
    assert Technology.objects.get(name="Epic Systems").topic is None


def test_an_editors_topic_choice_survives_the_next_import(tmp_path):
    TopicFactory(name="PostgreSQL")
    sql = TopicFactory(name="SQL")
    files = write_files(tmp_path)
    run(*files)
    technology = Technology.objects.get(name="PostgreSQL")
    technology.topic, technology.topic_by_editor = sql, True
    technology.save()

    run(*files)

    assert Technology.objects.get(name="PostgreSQL").topic == sql
