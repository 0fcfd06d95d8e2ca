"""A deterministic synthetic catalog for benchmarks: same --seed, same rows, on any machine."""

import itertools
import json
import random
import sys
from pathlib import Path

from django.core.management.base import BaseCommand
from django.utils.text import slugify

from courses.services import import_catalog

TOPICS = [
    "Python", "Java", "Go", "JavaScript", "TypeScript", "Node.js", "C#", "Rust", "SQL", "PostgreSQL", "MySQL",
    "MongoDB", "Redis", "NoSQL", "Docker", "Kubernetes", "AWS", "Azure", "Google Cloud", "Linux", "Git", "APIs",
    "System Design", "Software Design", "Algorithms", "Data Structures", "Distributed Systems", "Security",
    "Testing", "Django", "Spring", "DevOps", "Kafka", "GraphQL", "gRPC", "Microservices", "Elasticsearch",
    "Terraform", "Observability", "Networking", "Concurrency", "Caching", "Message Queues", "OAuth", "Kotlin",
    "Scala", "Ruby", "Rails", "PHP", "Laravel", "FastAPI", "Flask", ".NET", "Serverless", "Data Engineering",
    "Spark", "Airflow", "Machine Learning", "Site Reliability", "Performance",
]  # fmt: skip
OPENERS = """Mastering|Learning|Practical|Hands-On|Modern|Effective|Professional|Essential|Complete|Real-World|
Advanced|Beginning|Pragmatic|Production|Fundamentals of""".replace("\n", "").split("|")
SUBJECTS = """for Beginners|in Action|Patterns|Cookbook|Internals|at Scale|Bootcamp|Deep Dive|from Scratch|
Crash Course|Masterclass|Best Practices|for Back End Engineers|Performance Tuning|Design and Architecture|
Certification Prep|Projects|Essentials""".replace("\n", "").split("|")
# Descriptions draw from a Zipf-ranked vocabulary, as real prose does: stop words first, then real terms
# scattered among a long tail of rarer words, so a typical term matches a few percent of items, not half.
STOP_WORDS = "the and of to a in for with you your how this that on is are from by it as".split()
TERMS = """build deploy scale test debug design model query index cache secure monitor refactor migrate profile
services endpoints schemas transactions replication sharding queues workers pipelines containers clusters latency
throughput consistency availability resilience observability authentication authorization production teams
projects exercises quizzes labs examples chapters interviews career practice request response database server
client framework library module package function class object interface contract protocol socket thread process
memory storage disk network packet router proxy balancer gateway token session cookie header payload schema
migration backup restore failover incident alert dashboard metric trace log error exception retry timeout
idempotency webhook event stream batch job scheduler cron worker queue broker topic partition offset consumer
producer cluster node pod deployment ingress volume secret config template pipeline artifact release version
branch merge review commit""".split()
FIRST = """Ada Alan Grace Linus Barbara Ken Margaret Donald Edsger Frances Dennis Radia Tim Sophie Katherine John
Anita Guido Bjarne Yukihiro Rob Priya""".split()
LAST = """Lovelace Turing Hopper Torvalds Liskov Thompson Hamilton Knuth Dijkstra Allen Ritchie Perlman Berners-Lee
Wilson Johnson Backus Borg Rossum Stroustrup Matsumoto Pike Raman Nakamura Okafor Schmidt Garcia""".split()
LANGUAGES = ["en"] * 16 + ["es", "es", "de", "fr", "pt", "ja", "hi", "it"]
LEVELS = ["beginner"] * 4 + ["intermediate"] * 3 + ["advanced", "unknown"]


def vocabulary(rng: random.Random, size: int = 3000) -> list[str]:
    """Stop words, then real terms mixed into made-up words, in Zipf rank order."""
    syllables = [
        "ka",
        "lo",
        "mi",
        "nu",
        "pe",
        "ra",
        "si",
        "to",
        "vu",
        "ze",
        "bar",
        "cor",
        "den",
        "fal",
        "gim",
        "hox",
        "jun",
        "kep",
        "lum",
        "nor",
        "pix",
        "qua",
        "rim",
        "sol",
        "tev",
    ]
    made_up = sorted({"".join(rng.choice(syllables) for _ in range(rng.randint(2, 4))) for _ in range(size * 2)})
    tail = rng.sample(made_up, size - len(STOP_WORDS) - len(TERMS)) + TERMS
    rng.shuffle(tail)
    return STOP_WORDS + tail


def zipf_weights(count: int, exponent: float = 1.1) -> list[float]:
    """Popularity that falls off like real catalogs: a few topics and providers hold most items."""
    return [1 / (rank**exponent) for rank in range(1, count + 1)]


def synthetic_rows(*, courses: int, books: int, seed: int):
    rng = random.Random(seed)
    providers = [f"{rng.choice(LAST)} {rng.choice(['Academy', 'Learning', 'Press', 'Labs', 'School', 'Books'])} {n}"
                 for n in range(250)]  # fmt: skip
    topic_weights = zipf_weights(len(TOPICS), 1.0)
    provider_weights = zipf_weights(len(providers), 0.9)
    words = vocabulary(rng)
    word_weights = zipf_weights(len(words), 1.0)
    for number, kind in enumerate(itertools.chain(["course"] * courses, ["book"] * books)):
        topics = list(dict.fromkeys(rng.choices(TOPICS, topic_weights, k=rng.choice([1, 1, 2, 2, 3, 4]))))
        title = f"{rng.choice(OPENERS)} {topics[0]} {rng.choice(SUBJECTS)}"
        if len(topics) > 1 and rng.random() < 0.4:
            title += f" with {topics[1]}"
        length = rng.randint(8, 25) if rng.random() < 0.6 else rng.randint(60, 220)
        description = " ".join(rng.choices(words, word_weights, k=length)).capitalize() + "."
        provider = rng.choices(providers, provider_weights)[0]
        price_roll = rng.random()
        price = 0 if price_roll < 0.25 else None if price_roll < 0.3 else round(rng.uniform(9, 199), 2)
        row = {
            "external_id": f"{kind}-{number}",
            "kind": kind,
            "title": title,
            "url": f"https://{slugify(provider)}.example/{kind}s/{number}",
            "provider": provider,
            "authors": [f"{rng.choice(FIRST)} {rng.choice(LAST)}" for _ in range(rng.choice([1, 1, 1, 2, 3]))],
            "description": description,
            "topics": topics,
            "level": rng.choice(LEVELS),
            "language": rng.choice(LANGUAGES),
            "price": price,
            "certificate": kind == "course" and rng.random() < 0.45,
            "duration_hours": round(rng.lognormvariate(2.3, 0.8), 1) if kind == "course" else None,
            "rating": round(min(5, max(1, rng.gauss(4.3, 0.45))), 1) if rng.random() < 0.7 else None,
            "rating_count": int(rng.lognormvariate(4, 2)),
        }
        if kind == "book":
            row["isbn"] = f"978{rng.randrange(10**9, 10**10)}"
        yield row


class Command(BaseCommand):
    help = "Generate a deterministic synthetic catalog (for benchmarks) into the database or a JSON Lines file."

    def add_arguments(self, parser):
        parser.add_argument("--courses", type=int, default=50_000)
        parser.add_argument("--books", type=int, default=100_000)
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument("--output", type=Path, help="Write a JSON Lines feed here instead of importing it.")

    def handle(self, *, courses, books, seed, output, **options):
        rows = synthetic_rows(courses=courses, books=books, seed=seed)
        if output:
            with output.open("w") as file:
                for row in rows:
                    file.write(json.dumps(row) + "\n")
            self.stdout.write(f"Wrote {courses + books} rows to {output}")
            return
        from courses.feed import parse_record

        def progress(totals):
            if self.stderr.isatty():
                sys.stderr.write(f"\r{sum(totals.values()):,} rows")

        totals = import_catalog(
            rows=(parse_record(row, line=index) for index, row in enumerate(rows, start=1)),
            source=f"synthetic-{seed}",
            on_batch=progress,
        )
        self.stdout.write(
            f"\n{totals['created']} created, {totals['updated']} updated, {totals['unchanged']} unchanged, "
            f"{totals['rejected']} rejected"
        )
