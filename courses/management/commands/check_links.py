from collections import Counter

from django.core.management.base import BaseCommand, CommandError

from courses.links import Outcome, check_offers
from courses.models import Offer, Partner
from courses.models.partners import BROKEN_AFTER_FAILURES


class Command(BaseCommand):
    help = (
        f"Check every live offer's destination and record the answer; deactivate an offer after "
        f"{BROKEN_AFTER_FAILURES} failures in a row (404, 410, 5xx, or no answer)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--partner", metavar="SLUG", help="Only this partner's offers.")
        parser.add_argument("--timeout", type=float, default=10, help="Seconds to wait for an answer (default 10).")
        parser.add_argument("--workers", type=int, default=16, help="Links checked at the same time (default 16).")

    def handle(self, *, partner, timeout, workers, **options):
        if timeout <= 0 or workers < 1:
            raise CommandError("--timeout must be above 0 and --workers at least 1.")
        offers = Offer.objects.live().select_related("course", "partner").order_by("pk")
        if partner:
            try:
                partner = Partner.objects.get(slug=partner)
            except Partner.DoesNotExist:
                raise CommandError(f"No partner with the slug “{partner}”.") from None
            if not partner.active:
                self.stderr.write(f"{partner} is inactive, so none of its offers are checked.")
            offers = offers.filter(partner=partner)

        results = check_offers(offers, timeout=timeout, workers=workers)

        for result in results:
            if result.outcome != Outcome.OK:
                offer = result.offer
                self.stdout.write(f"{result.outcome}: {offer} <{offer.url}>: {result.check}, {self._detail(result)}")
        counts = Counter(result.outcome for result in results)
        self.stdout.write(
            f"Checked {len(results)} link{'' if len(results) == 1 else 's'}: {counts[Outcome.OK]} ok, "
            f"{counts[Outcome.FAILING]} failing, {counts[Outcome.DEACTIVATED]} deactivated, "
            f"{counts[Outcome.INCONCLUSIVE]} inconclusive."
        )

    def _detail(self, result):
        if result.outcome == Outcome.INCONCLUSIVE:
            return "not counted as a failure"
        return f"failure {result.offer.consecutive_failures} of {BROKEN_AFTER_FAILURES}"
