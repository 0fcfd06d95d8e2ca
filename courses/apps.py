from django.apps import AppConfig


class CoursesConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "courses"

    def ready(self):
        from django.db.models.signals import m2m_changed, post_delete, post_save

        from careerguide.page_cache import pages_changed
        from courses.catalog import catalog_changed
        from courses.models import Course, Offer, Partner, Provider, Topic
        from courses.tracking import forget_changed_offers
        from guides.models import Career

        # Anything a catalog search can see; imports, which write in bulk, call catalog_changed themselves.
        for model in (Course, Topic, Provider, Career):
            post_save.connect(catalog_changed, sender=model, dispatch_uid=f"catalog-changed-save-{model.__name__}")
            post_delete.connect(catalog_changed, sender=model, dispatch_uid=f"catalog-changed-del-{model.__name__}")
        for model in (Offer, Partner):  # shown on cached course pages; catalog changes retire pages themselves
            post_save.connect(pages_changed, sender=model, dispatch_uid=f"pages-changed-save-{model.__name__}")
            post_delete.connect(pages_changed, sender=model, dispatch_uid=f"pages-changed-del-{model.__name__}")
        for model in (Offer, Partner, Course):  # cached offers, read by the partner-link redirect
            post_save.connect(forget_changed_offers, sender=model, dispatch_uid=f"forget-offers-save-{model.__name__}")
            post_delete.connect(forget_changed_offers, sender=model, dispatch_uid=f"forget-offers-del-{model.__name__}")
        for through in (Course.topics.through, Career.topics.through):
            m2m_changed.connect(catalog_changed, sender=through, dispatch_uid=f"catalog-changed-m2m-{through.__name__}")
        _connect_search_change_log()

        from django.db.models.signals import post_migrate

        from courses.signals import schedule_catalog_jobs

        post_migrate.connect(schedule_catalog_jobs, sender=self, dispatch_uid="schedule-catalog-jobs")


def _connect_search_change_log():
    """Everything a search can see writes a change-log entry that each host's search index applies."""
    from django.db.models.signals import m2m_changed, post_delete, post_save

    from courses import signals
    from courses.models import Course, Provider, Topic

    Career = Topic.careers.rel.related_model  # courses never imports guides
    receivers = {
        Course: signals.record_course_change,
        Topic: signals.record_topic_change,
        Provider: signals.record_provider_change,
        Career: signals.record_career_change,
    }
    for model, receiver in receivers.items():
        for signal, name in ((post_save, "save"), (post_delete, "delete")):
            signal.connect(receiver, sender=model, dispatch_uid=f"search-change-{name}-{model.__name__}")
    m2m_changed.connect(
        signals.record_course_topics_change, sender=Course.topics.through, dispatch_uid="search-change-course-topics"
    )
    m2m_changed.connect(
        signals.record_career_topics_change, sender=Career.topics.through, dispatch_uid="search-change-career-topics"
    )
