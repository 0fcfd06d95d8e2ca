"""A long outage leaves a long spool: replaying it must never need one statement that grows with it."""

import json
import re
import uuid

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from courses.models import Click
from courses.tracking import ClickSpool
from tests.factories import OfferFactory

pytestmark = pytest.mark.django_db(transaction=True)
UUID = re.compile(r"[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}")


def test_a_long_spool_is_replayed_in_statements_of_bounded_size(click_spool):
    # In a web request each statement has DATABASE_QUERY_TIMEOUT (careerguide/database/base.py): one statement
    # naming every spooled click would be cancelled, and the spool never replayed by the clicks that follow.
    offer = OfferFactory()
    click_spool.mkdir(parents=True)
    fields = {"offer_id": offer.pk, "created_at": timezone.now().isoformat(), "referrer_path": "", "visitor_hash": ""}
    lines = [json.dumps({**fields, "click_id": str(uuid.uuid4()), "is_bot": False}) for _ in range(1200)]
    (click_spool / "clicks-1.jsonl").write_text("\n".join(lines) + "\n")

    with CaptureQueriesContext(connection) as queries:
        assert ClickSpool().replay() == 1200

    assert Click.objects.count() == 1200
    assert max(len(UUID.findall(query["sql"])) for query in queries.captured_queries) <= 500
