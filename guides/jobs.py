"""The guides app's background jobs and their periods (careerguide.jobs runs them on the task queue)."""

import datetime as dt

from careerguide.jobs import Every, job
from guides.plans import remove_stale_plans

STALE_PLAN_AGE = dt.timedelta(days=365)  # the learning-plans issue's 12 months

SCHEDULES = [Every("Remove learning plans untouched for a year", "guides.jobs.remove_old_plans", minutes=24 * 60)]


@job
def remove_old_plans() -> str:
    """Plans nobody has changed for a year are deleted (as `manage.py remove_stale_plans`)."""
    return f"Removed {remove_stale_plans(untouched_for=STALE_PLAN_AGE)} learning plan(s) untouched for a year."
