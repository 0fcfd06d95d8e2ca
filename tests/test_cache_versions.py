from django.core.cache import cache

from careerguide import cache_versions

KEY = "tests:version"


def entry_key(version):
    return f"tests:entry:{version}"


def test_an_entry_stored_under_the_current_version_is_found():
    version, entry = cache_versions.current_entry(KEY, entry_key)
    assert entry is None
    cache.set(entry_key(version), "page")

    assert cache_versions.current_entry(KEY, entry_key) == (version, "page")


def test_after_a_change_the_old_entry_is_never_returned_even_to_a_process_that_read_it_last():
    old_version, _ = cache_versions.current_entry(KEY, entry_key)
    cache.set(entry_key(old_version), "stale page")

    cache_versions.replace(KEY)  # an edit, say in another process
    version, entry = cache_versions.current_entry(KEY, entry_key)

    assert version != old_version
    assert entry is None


def test_a_lost_version_starts_afresh():
    old_version, _ = cache_versions.current_entry(KEY, entry_key)
    cache.set(entry_key(old_version), "page")
    cache.delete(KEY)  # Redis restarted without its data, say

    version, entry = cache_versions.current_entry(KEY, entry_key)

    assert version != old_version
    assert entry is None
