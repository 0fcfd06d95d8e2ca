from courses.models.catalog import (
    SYNONYMS_CACHE_KEY,
    Course,
    Provider,
    SearchChange,
    Topic,
    and_list,
    summarize,
)
from courses.models.feeds import Feed, FeedPull
from courses.models.partners import Click, Conversion, Offer, Partner

__all__ = [
    "SYNONYMS_CACHE_KEY",
    "Click",
    "Conversion",
    "Course",
    "Feed",
    "FeedPull",
    "Offer",
    "Partner",
    "Provider",
    "SearchChange",
    "Topic",
    "and_list",
    "summarize",
]
