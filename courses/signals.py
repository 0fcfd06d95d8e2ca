"""Receivers of the courses app, connected in CoursesConfig.ready(): each a thin call of a named function."""

from courses.models import SearchChange


def record_course_change(sender, instance, **kwargs):
    """A course saved or deleted: its search document is rewritten (or removed) on every host."""
    record_search_changes(SearchChange.Kind.COURSE, [instance.pk])


def record_topic_change(sender, instance, **kwargs):
    """A topic's name or synonyms are indexed with each of its courses; a deleted one leaves them."""
    record_search_changes(SearchChange.Kind.TOPIC, [instance.pk])


def record_provider_change(sender, instance, **kwargs):
    record_search_changes(SearchChange.Kind.PROVIDER, [instance.pk])


def record_career_change(sender, instance, **kwargs):
    """Careers reach courses through their topics at search time; the entry renews the names searches list."""
    record_search_changes(SearchChange.Kind.CAREER, [instance.pk])


def record_course_topics_change(sender, instance, action, reverse, pk_set, **kwargs):
    """Course.topics changed, from either side: the courses concerned are indexed again."""
    if not action.startswith("post_"):
        return
    if not reverse:
        record_search_changes(SearchChange.Kind.COURSE, [instance.pk])
    elif pk_set:
        record_search_changes(SearchChange.Kind.COURSE, sorted(pk_set))
    else:  # a topic's courses cleared: the index knows which they were
        record_search_changes(SearchChange.Kind.TOPIC, [instance.pk])


def record_career_topics_change(sender, instance, action, reverse, pk_set, **kwargs):
    if not action.startswith("post_"):
        return
    # Careers reach courses at search time, through their topics: the entries only renew what searches list.
    if not reverse:
        record_search_changes(SearchChange.Kind.CAREER, [instance.pk])
    elif pk_set:
        record_search_changes(SearchChange.Kind.CAREER, sorted(pk_set))
    else:
        record_search_changes(SearchChange.Kind.TOPIC, [instance.pk])


def record_search_changes(kind: str, object_ids) -> None:
    """Log changes for the search index, in the transaction of the change when there is one."""
    SearchChange.objects.bulk_create([SearchChange(kind=kind, object_id=pk) for pk in object_ids if pk is not None])


def schedule_catalog_jobs(sender, using, **kwargs):
    """After every migrate: the catalog's background jobs are on the task queue's schedule (idempotent)."""
    from careerguide.jobs import keep_schedules, schedule_table_exists
    from courses.jobs import SCHEDULES

    if schedule_table_exists(using):
        keep_schedules(SCHEDULES, using=using)
