from django.apps import AppConfig


class GuidesConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "guides"

    def ready(self):
        from django.contrib.auth.signals import user_logged_in
        from django.db.models.signals import m2m_changed, post_delete, post_save

        from careerguide.page_cache import pages_changed
        from guides.models import Career, GuideSection, GuideSectionPick, Technology

        # Guide pages are cached for learners (careerguide/page_cache.py): any edit retires them at once.
        # Occupations change only through import_occupations, which retires pages once when it changed anything.
        for model in (Career, GuideSection, GuideSectionPick, Technology):
            post_save.connect(pages_changed, sender=model, dispatch_uid=f"pages-changed-save-{model.__name__}")
            post_delete.connect(pages_changed, sender=model, dispatch_uid=f"pages-changed-del-{model.__name__}")
        for through in (GuideSection.topics.through, GuideSectionPick):
            m2m_changed.connect(pages_changed, sender=through, dispatch_uid=f"pages-changed-m2m-{through.__name__}")

        from django.db.models.signals import post_migrate

        from guides.signals import note_one_time_password, schedule_plan_jobs

        # The app's background jobs are kept on the task queue's schedule by every migrate (careerguide/jobs.py).
        post_migrate.connect(schedule_plan_jobs, sender=self, dispatch_uid="schedule-plan-jobs")

        # A one-time password (create_editor) opens only the password change: noted at sign-in, in the session.
        user_logged_in.connect(note_one_time_password, dispatch_uid="note-one-time-password")
