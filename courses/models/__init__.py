from courses.models.catalog import (
    SYNONYMS_CACHE_KEY,
    Course,
    CourseSearchIndex,
    Provider,
    SearchChange,
    SearchTerm,
    Topic,
    and_list,
    summarize,
)
from courses.models.partners import Click, Conversion, Offer, Partner

__all__ = [
    "SYNONYMS_CACHE_KEY",
    "Click",
    "Conversion",
    "Course",
    "CourseSearchIndex",
    "Offer",
    "Partner",
    "Provider",
    "SearchChange",
    "SearchTerm",
    "Topic",
    "and_list",
    "summarize",
]
