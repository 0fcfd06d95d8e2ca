import pytest
from django.core.cache import cache

from courses.counting import forget_counts
from tests.factories import CareerFactory, EditorFactory, GuideSectionFactory


@pytest.fixture(autouse=True)
def empty_cache():
    """Each test starts with an empty cache, as a freshly deployed site would."""
    cache.clear()
    forget_counts()  # the per-process fallback counters of partner-link clicks
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def click_spool(settings, tmp_path):
    """Each test spools clicks into its own folder, never the developer's var/."""
    settings.CLICK_SPOOL_DIR = tmp_path / "click-spool"
    return settings.CLICK_SPOOL_DIR


@pytest.fixture(autouse=True)
def cache_version_markers(settings, tmp_path):
    """Failed cache invalidations are marked in the test's own folder, and no test inherits another's."""
    from careerguide import cache_versions

    settings.CACHE_VERSION_MARKERS_DIR = tmp_path / "cache-version-markers"
    cache_versions._unsettled.clear()
    cache_versions._next_look = 0.0
    yield settings.CACHE_VERSION_MARKERS_DIR
    cache_versions._unsettled.clear()


@pytest.fixture(autouse=True)
def search_index_dir(settings, tmp_path):
    """Each test searches its own index, built from its own database on the first search, and every search
    applies the change log first (production looks at most once a second)."""
    from courses import search_index

    settings.SEARCH_INDEX_DIR = tmp_path / "search-index"
    settings.SEARCH_FRESHNESS_SECONDS = 0
    yield settings.SEARCH_INDEX_DIR
    search_index._live.pop(settings.SEARCH_INDEX_DIR, None)


@pytest.fixture(autouse=True)
def job_lock_dir(settings, tmp_path):
    """Background jobs' locks on SQLite (careerguide/jobs.py) live in the test's own folder."""
    settings.JOB_LOCK_DIR = tmp_path / "job-locks"
    return settings.JOB_LOCK_DIR


@pytest.fixture
def one_rate_window(monkeypatch):
    """Keep every request of a test in one rate-limit window: a slow run must not cross into the next."""
    monkeypatch.setattr("django_ratelimit.core._get_window", lambda value, period: 4_000_000_000)


@pytest.fixture
def editor(db):
    return EditorFactory()


@pytest.fixture
def editor_client(client, editor):
    client.force_login(editor)
    return client


@pytest.fixture
def career(db):
    """A published career with three published sections at positions 10, 20, 30."""
    career = CareerFactory(name="Back End Engineer", slug="back-end-engineer")
    GuideSectionFactory(career=career, kind="education", heading="Learning paths", position=10)
    GuideSectionFactory(career=career, kind="skills", heading="Skills you need", position=20)
    GuideSectionFactory(career=career, kind="tools", heading="Tools of the trade", position=30)
    return career
