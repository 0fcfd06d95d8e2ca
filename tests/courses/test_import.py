import json
from decimal import Decimal

import pytest
from django.core.management import call_command

from courses.feed import parse_record
from courses.models import Course, Offer, Provider, Topic
from tests.factories import PartnerFactory, TopicFactory

pytestmark = pytest.mark.django_db


def row(**overrides):
    data = {
        "external_id": "c-1",
        "kind": "course",
        "title": "Go for Back End Engineers",
        "url": "https://learn.example.com/go",
        "provider": "Example Academy",
        "authors": ["Ada Lovelace", "Alan Turing"],
        "description": "Build HTTP services in Go.",
        "topics": ["Go", "APIs"],
        "level": "beginner",
        "price": 0,
        "certificate": True,
        "duration_hours": 12.5,
        "rating": 4.6,
        "rating_count": 1200,
    }
    return data | overrides


def write_jsonl(path, rows):
    lines = [row if isinstance(row, str) else json.dumps(row) for row in rows]
    path.write_bytes(("\n".join(lines) + "\n").encode())
    return path


def run_import(path, *args, capsys=None):
    call_command("import_catalog", str(path), "--source", "test", *args)
    return capsys.readouterr() if capsys else None


def test_import_creates_courses_with_every_field(tmp_path, capsys):
    TopicFactory(name="Go", slug="go", synonyms="golang")
    feed = write_jsonl(tmp_path / "feed.jsonl", [row(topics=["golang", "APIs"])])

    output = run_import(feed, capsys=capsys)

    assert "1 created, 0 updated, 0 unchanged, 0 rejected" in output.out
    course = Course.objects.get(source="test", external_id="c-1")
    assert course.provider == Provider.objects.get(name="Example Academy")
    assert course.authors == "Ada Lovelace, Alan Turing"
    assert course.price == Decimal("0.00")
    assert course.duration_hours == Decimal("12.5")
    assert course.rating == Decimal("4.60")
    assert sorted(course.topics.values_list("name", flat=True)) == ["APIs", "Go"]  # golang matched by synonym
    assert course.slug == "go-for-back-end-engineers"


def test_importing_the_same_feed_twice_changes_nothing(tmp_path, capsys):
    feed = write_jsonl(tmp_path / "feed.jsonl", [row(external_id=f"c-{n}", title=f"Course {n}") for n in range(5)])
    run_import(feed)
    capsys.readouterr()

    output = run_import(feed, capsys=capsys)

    assert "0 created, 0 updated, 5 unchanged, 0 rejected" in output.out
    assert Course.objects.count() == 5


def test_a_changed_row_updates_in_place_and_keeps_its_slug(tmp_path, capsys):
    run_import(write_jsonl(tmp_path / "a.jsonl", [row()]))
    capsys.readouterr()
    slug = Course.objects.get().slug

    output = run_import(
        write_jsonl(tmp_path / "b.jsonl", [row(title="Go, Second Edition", topics=["Go"])]), capsys=capsys
    )

    assert "0 created, 1 updated, 0 unchanged" in output.out
    course = Course.objects.get()
    assert course.title == "Go, Second Edition"
    assert course.slug == slug
    assert list(course.topics.values_list("name", flat=True)) == ["Go"]


def test_same_title_from_two_items_gets_two_slugs(tmp_path):
    run_import(write_jsonl(tmp_path / "a.jsonl", [row(external_id="a"), row(external_id="b")]))

    slugs = sorted(Course.objects.values_list("slug", flat=True))
    assert len(set(slugs)) == 2
    assert slugs[0] == "go-for-back-end-engineers"


BAD_ROWS = [
    (row(external_id=None), "external_id: is required"),
    (row(title=""), "title: is required"),
    (row(title="x" * 301), "title: is longer than 300 characters"),
    (row(url=None), "url: is required"),
    (row(url="javascript:alert(1)"), "url: must be a full http:// or https:// address"),
    (row(url="ftp://files.example.com/x"), "url: must be a full http:// or https:// address"),
    (row(kind="video"), "kind: must be course or book"),
    (row(kind=None), "kind: is required"),
    (row(price=-1), "price: must be at least 0"),
    (row(price="12"), "price: must be a number"),
    (row(price=True), "price: must be a number"),
    (row(rating=7), "rating: must be at most 5"),
    (row(rating_count=2.5), "rating_count: must be a whole number"),
    (row(authors="Ada"), "authors: must be a list of text"),
    (row(topics=[1, 2]), "topics: must be a list of text"),
    (row(certificate="yes"), "certificate: must be true or false"),
    (row(level="expert"), "level: must be one of"),
    (row(language="english"), "language: must be a two-letter"),
    (row(title="Bad\u0000title"), "title: contains NUL bytes"),
    (row(isbn="123"), "isbn: must have 10 or 13 digits"),
    (row(duration_hours="NaN"), "duration_hours: must be a number"),
    (row(title="\u200b\u200c\u200d"), "title: has no visible characters"),
    (row(title="\u2060 \ufeff"), "title: has no visible characters"),
]


@pytest.mark.parametrize(("record", "reason"), BAD_ROWS)
def test_each_rejection_rule_names_the_field(record, reason):
    from courses.feed import RowError

    with pytest.raises(RowError, match=reason.split(":")[0]) as error:
        parse_record(record, line=1)
    assert reason in str(error.value)


def test_bad_rows_are_reported_by_line_and_the_rest_import(tmp_path, capsys):
    feed = write_jsonl(
        tmp_path / "feed.jsonl",
        [
            row(external_id="ok-1"),
            row(external_id="bad-url", url="javascript:alert(1)"),
            '{"external_id": "broken", ',
            row(external_id="bad-price", price=-5),
            "[1, 2, 3]",
            row(external_id="ok-2", title="<script>alert(1)</script> Intro to SQL"),
        ],
    )
    (tmp_path / "nul.jsonl").write_bytes(b'{"external_id": "n\x00ul"}\n')

    output = run_import(feed, capsys=capsys)

    assert "2 created, 0 updated, 0 unchanged, 4 rejected" in output.out
    assert "line 2: rejected: url: must be a full http:// or https:// address" in output.err
    assert "line 3: rejected: broken JSON" in output.err
    assert "line 4: rejected: price: must be at least 0" in output.err
    assert "line 5: rejected: is not a JSON object" in output.err
    assert Course.objects.get(external_id="ok-2").title == "<script>alert(1)</script> Intro to SQL"  # stored as text


def test_nul_bytes_in_a_line_reject_that_line_only(tmp_path, capsys):
    feed = tmp_path / "feed.jsonl"
    feed.write_bytes(json.dumps(row(external_id="a")).encode() + b"\n" + b'{"external_id": "b\x00"}\n')

    output = run_import(feed, capsys=capsys)

    assert "1 created" in output.out
    assert "line 2: rejected: contains NUL bytes" in output.err


def test_csv_feed_with_list_columns_imports_like_json(tmp_path, capsys):
    feed = tmp_path / "feed.csv"
    feed.write_text(
        "external_id,kind,title,url,authors,topics,price,certificate,duration_hours\n"
        'b-1,book,"Designing Data, Carefully",https://books.example.com/d,'
        "Ada Lovelace|Alan Turing,SQL|PostgreSQL,39.99,false,\n"
        "b-2,book,Negative,https://books.example.com/n,,,-3,false,\n"
        "b-3,book,Bad\x00Null,https://books.example.com/x,,,1,false,\n"
    )

    output = run_import(feed, capsys=capsys)

    assert "1 created, 0 updated, 0 unchanged, 2 rejected" in output.out
    assert "line 3: rejected: price: must be at least 0" in output.err
    assert "line 4: rejected: title: contains NUL bytes" in output.err
    book = Course.objects.get(external_id="b-1")
    assert book.title == "Designing Data, Carefully"
    assert book.authors == "Ada Lovelace, Alan Turing"
    assert book.price == Decimal("39.99")
    assert sorted(book.topics.values_list("name", flat=True)) == ["PostgreSQL", "SQL"]


def test_dry_run_counts_but_saves_nothing(tmp_path, capsys):
    feed = write_jsonl(tmp_path / "feed.jsonl", [row(topics=["Brand New Topic"])])

    output = run_import(feed, "--dry-run", capsys=capsys)

    assert "Dry run (nothing saved): 1 created" in output.out
    assert not Course.objects.exists()
    assert not Topic.objects.filter(name="Brand New Topic").exists()


def test_an_interrupted_import_keeps_committed_batches_and_a_rerun_finishes(tmp_path, monkeypatch, capsys):
    from courses import services

    monkeypatch.setattr(services, "BATCH_SIZE", 10)
    rows = [row(external_id=f"c-{n}", title=f"Course {n}") for n in range(35)]
    feed = write_jsonl(tmp_path / "feed.jsonl", rows)
    original_write = services._BatchImporter.write
    calls = {"n": 0}

    def failing_write(self, batch, **kwargs):
        calls["n"] += 1
        if calls["n"] == 3:
            raise KeyboardInterrupt  # the operator pressed Ctrl-C during the third batch
        return original_write(self, batch, **kwargs)

    monkeypatch.setattr(services._BatchImporter, "write", failing_write)
    with pytest.raises(KeyboardInterrupt):
        run_import(feed)
    assert Course.objects.count() == 20  # two whole batches committed, the third rolled back

    monkeypatch.setattr(services._BatchImporter, "write", original_write)
    capsys.readouterr()
    output = run_import(feed, capsys=capsys)

    assert "15 created, 0 updated, 20 unchanged, 0 rejected" in output.out
    assert Course.objects.count() == 35


def test_a_repeated_id_in_one_file_is_applied_as_an_update(tmp_path, capsys):
    feed = write_jsonl(tmp_path / "feed.jsonl", [row(title="First"), row(title="Second")])

    output = run_import(feed, capsys=capsys)

    assert "1 created, 1 updated" in output.out
    assert Course.objects.get().title == "Second"


def test_the_demo_feed_imports_cleanly_and_a_second_run_changes_nothing(capsys):
    from courses.services import DEMO_DIR

    call_command("import_catalog", str(DEMO_DIR / "catalog.jsonl"), "--source", "demo")
    first = capsys.readouterr().out
    call_command("import_catalog", str(DEMO_DIR / "catalog.jsonl"), "--source", "demo")
    second = capsys.readouterr().out

    created = int(first.split(" created")[0])
    assert created >= 80
    assert first.endswith("0 updated, 0 unchanged, 0 rejected\n")
    assert second == f"0 created, 0 updated, {created} unchanged, 0 rejected\n"


# -- partner offers in the feed ------------------------------------------------------------------------


def test_a_row_with_a_partner_imports_its_offer_and_a_rerun_keeps_it(tmp_path, capsys):
    PartnerFactory(name="Learnly", slug="learnly", allowed_hosts="learn.example.com")
    offer_row = row(partner="learnly", offer_url="https://learn.example.com/go?ref=cg", commission_tag="spring")
    feed = write_jsonl(tmp_path / "feed.jsonl", [offer_row, row(external_id="c-2", title="No partner")])
    run_import(feed)
    offer = Offer.objects.get()
    assert (offer.course.external_id, offer.url, offer.commission_tag) == ("c-1", offer_row["offer_url"], "spring")
    capsys.readouterr()

    assert "0 created, 0 updated, 2 unchanged" in run_import(feed, capsys=capsys).out
    changed = write_jsonl(tmp_path / "changed.jsonl", [row(partner="learnly", commission_tag="autumn")])
    assert "0 created, 1 updated, 0 unchanged" in run_import(changed, capsys=capsys).out
    again = Offer.objects.get()
    assert (again.pk, again.token, again.commission_tag) == (offer.pk, offer.token, "autumn")
    assert again.url == "https://learn.example.com/go"  # no offer_url: the item's own url


@pytest.mark.parametrize(
    ("overrides", "reason"),
    [
        ({"partner": "nobody"}, "partner: no partner with the slug 'nobody'"),
        (
            {"partner": "learnly", "offer_url": "https://evil.example/x"},
            "offer_url: not on one of Learnly's allowed hosts",
        ),
        ({"partner": "learnly", "offer_url": "javascript:alert(1)"}, "offer_url: must start with http"),
        (
            {"partner": "learnly", "offer_url": "https://learn.example.com\\@evil.example/"},
            "offer_url: must not contain",
        ),
        ({"offer_url": "https://learn.example.com/x"}, "partner: is required with offer_url"),
    ],
)
def test_a_bad_offer_rejects_its_row_with_the_reason(tmp_path, capsys, overrides, reason):
    PartnerFactory(name="Learnly", slug="learnly", allowed_hosts="learn.example.com")
    feed = write_jsonl(tmp_path / "feed.jsonl", [row(**overrides), row(external_id="c-2", title="Fine")])

    output = run_import(feed, capsys=capsys)

    assert f"line 1: rejected: {reason}" in output.err
    assert "1 created, 0 updated, 0 unchanged, 1 rejected" in output.out
    assert Offer.objects.count() == 0


def test_invisible_characters_at_the_ends_of_names_are_dropped():
    parsed = parse_record(row(title="\ufeff\u200bGo in Practice\u200d", topics=["\u2060Go"]), line=1)

    assert parsed.title == "Go in Practice"
    assert parsed.topics == ["Go"]


def test_an_import_refreshes_the_planner_statistics(tmp_path):
    """Fresh tables have none: PostgreSQL plans searches 2-3x worse until autovacuum comes by."""
    from django.db import connection

    run_import(write_jsonl(tmp_path / "feed.jsonl", [row(external_id=f"c-{n}") for n in range(30)]))

    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT reltuples FROM pg_class WHERE relname = 'courses_course'")
            assert cursor.fetchone()[0] == 30  # -1 until the table is analyzed
        else:
            cursor.execute("SELECT count(*) FROM sqlite_master WHERE name = 'sqlite_stat1'")
            assert cursor.fetchone()[0] == 1
            cursor.execute("SELECT count(*) FROM sqlite_stat1 WHERE tbl = 'courses_course'")
            assert cursor.fetchone()[0] >= 1
