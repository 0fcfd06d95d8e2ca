from decimal import Decimal
from urllib.parse import urlencode

from django import forms
from simple_history.models import to_historic

from careerguide.admin import autocomplete_label
from courses.forms import LenientMultipleChoiceField
from courses.models import Course
from courses.stale_edits import StaleEditForm
from guides.models import (
    JOB_ZONES,
    Career,
    Education,
    Growth,
    GuideSection,
    GuideSectionPick,
    Interest,
    LearningPlan,
    PayBand,
    PlanItem,
    PlanSection,
)


class CareerAdminForm(StaleEditForm):
    class Meta:
        model = Career
        fields = ["name", "slug", "alternative_titles", "summary", "intro", "topics", "occupation", "published"]
        widgets = {
            "alternative_titles": forms.TextInput(attrs={"size": 90}),
            "summary": forms.TextInput(attrs={"size": 90}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "intro" in self.fields:
            self.fields["intro"].widget.attrs.update(rows=rows_for(self.instance.intro), cols=90)


def rows_for(text: str, *, columns: int = 90, least: int = 8, most: int = 80) -> int:
    """Enough textarea rows to show `text` whole (wrapped at about `columns`), within reason, plus room to add."""
    lines = sum(max(1, -(-len(line) // columns)) for line in (text or "").splitlines())
    return max(least, min(most, lines + 3))


class GuideSectionAdminForm(StaleEditForm):
    class Meta:
        model = GuideSection
        fields = ["career", "kind", "heading", "anchor", "body", "position", "topics", "published"]
        widgets = {"heading": forms.TextInput(attrs={"size": 90})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.has_draft and to_historic(self.instance) is None:
            # The editor goes on with the waiting revision; the live text is in the history and on the site.
            self.initial |= {"heading": self.instance.draft_heading or self.instance.heading}
            self.initial |= {"body": self.instance.draft_body}
        if "body" in self.fields:
            self.fields["body"].widget.attrs.update(rows=rows_for(self.initial.get("body", "")), cols=90)


class GuideSectionOrderForm(StaleEditForm):
    """A section's line in the career page's list: only where it stands and whether learners see it."""

    class Meta:
        model = GuideSection
        fields = ["position", "published"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # A table's inputs have no <label> of their own in Django's tabular inline: name them for screen readers.
        heading = self.instance.heading or "the new section"
        self.fields["position"].widget.attrs["aria-label"] = f"Position of {heading}"
        self.fields["published"].widget.attrs["aria-label"] = f"{heading} published"


class PickForm(forms.ModelForm):
    """A pick's line: the chosen item is named with its format, provider and price, as the autocomplete does."""

    class Meta:
        model = GuideSectionPick
        fields = ["position", "course"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["course"].label_from_instance = autocomplete_label
        self.fields["position"].widget.attrs["aria-label"] = "Position of the pick"


class SectionPositionForm(forms.ModelForm):
    """A row of the section list, where only the position is editable. Its box has no <label> (the column header
    names it for the eye), so each says which section it moves: "Position of Skills (Back End Engineer)"."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        section = self.instance  # the formset's blank form has no section (nor career) behind it
        career = f" ({section.career.name})" if section.career_id else ""
        self.fields["position"].widget.attrs["aria-label"] = f"Position of {section.heading or 'a section'}{career}"


# -- Learning plans (#17) ----------------------------------------------------------------------------------


class PlanSettingsForm(forms.ModelForm):
    hours_per_week = forms.DecimalField(
        label="Hours a week",
        min_value=Decimal("0.5"),
        max_value=Decimal(80),
        max_digits=4,
        decimal_places=1,
        help_text="From half an hour to 80 hours a week.",
    )

    class Meta:
        model = LearningPlan
        fields = ["title", "hours_per_week"]
        labels = {"title": "Plan name"}


class IdChoiceField(forms.ModelChoiceField):
    """A row by its id; anything but a short number (a NUL byte, a 30-digit id SQLite cannot hold) is
    refused as an invalid choice instead of reaching the database.
    """

    def to_python(self, value):
        text = str(value)
        if value not in self.empty_values and not (text.isascii() and text.isdigit() and len(text) <= 10):
            raise forms.ValidationError(self.error_messages["invalid_choice"], code="invalid_choice")
        return super().to_python(value)


class StatusForm(forms.Form):
    status = forms.ChoiceField(choices=PlanItem.Status.choices)


class AddCourseForm(forms.Form):
    """A published catalog item, by id: what "Add to my plan" and "Switch to this" post."""

    course = IdChoiceField(queryset=Course.objects.published(), widget=forms.HiddenInput)


class MoveItemForm(forms.Form):
    section = IdChoiceField(queryset=PlanSection.objects.none(), label="Move to")

    def __init__(self, *args, plan, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["section"].queryset = PlanSection.objects.filter(plan=plan)


EXPLORER_SORTS = [
    ("relevance", "Best match"),
    ("name", "Name A–Z"),  # noqa: RUF001
    ("pay", "Highest pay"),
    ("growth", "Fastest growth"),
    ("openings", "Most openings"),
]
ZONES = [(str(zone), label) for zone, label in JOB_ZONES.items()]
EXPLORER_FACETS_SHOWN = [
    ("interest", "Interest", Interest.choices),
    ("zone", "Preparation", ZONES),
    ("education", "Typical entry education", Education.choices),
    ("pay", "Median pay", PayBand.choices),
    ("growth", "Projected growth", Growth.choices),
    ("guide", "Written guide", [("1", "Has a written guide")]),
]


def explorer_sorts(filters: dict) -> list[tuple[str, str]]:
    """The sort menu: "Best match" only for a search; without one the default order is by name."""
    if filters["q"]:
        return EXPLORER_SORTS
    return [("relevance" if value == "name" else value, label) for value, label in EXPLORER_SORTS[1:]]


class CareerExplorerForm(forms.Form):
    """The explorer's query: free text, the facets and the sort, each value checked; bad ones are dropped."""

    q = forms.CharField(required=False, strip=True, label="Search careers by job title")
    interest = LenientMultipleChoiceField(required=False, choices=Interest.choices)
    zone = LenientMultipleChoiceField(required=False, choices=ZONES)
    education = LenientMultipleChoiceField(required=False, choices=Education.choices)
    pay = LenientMultipleChoiceField(required=False, choices=PayBand.choices)
    growth = LenientMultipleChoiceField(required=False, choices=Growth.choices)
    guide = LenientMultipleChoiceField(required=False, choices=[("1", "Has a written guide")])
    sort = forms.ChoiceField(required=False, choices=EXPLORER_SORTS, label="Sort by")

    def __init__(self, data=None, **kwargs):
        if data is not None:
            data = data.copy()
            # Cut, not refuse: a pasted paragraph or a stray NUL still gets an answer.
            data["q"] = data.get("q", "").replace("\x00", " ")[:200]
        super().__init__(data, **kwargs)

    def filters(self) -> dict:
        self.is_valid()
        defaults = {name: [] for name, _, _ in EXPLORER_FACETS_SHOWN} | {"q": "", "sort": ""}
        cleaned = {name: value for name, value in self.cleaned_data.items() if value not in (None, "")}
        filters = defaults | cleaned
        # Without a search, the default order (relevance) is by name; "name" says the same in the URL.
        if not filters["sort"] or (filters["sort"] == "name" and not filters["q"]):
            filters["sort"] = "relevance"
        return filters

    def canonical_pairs(self, filters: dict) -> list[tuple[str, str]]:
        """The query that asks for exactly `filters` (no default sort), sorted as page_cache.query_pairs."""
        pairs = [("q", filters["q"])] if filters["q"] else []
        pairs += [(name, value) for name, _, _ in EXPLORER_FACETS_SHOWN for value in filters[name]]
        pairs += [("sort", filters["sort"])] if filters["sort"] != "relevance" else []
        return sorted(pairs)

    def query_without(self, filters: dict, name: str | None = None, value: str | None = None) -> str:
        pairs = self.canonical_pairs(filters)
        if name is None:
            pairs = [pair for pair in pairs if pair[0] in ("q", "sort")]
        else:
            pairs = [pair for pair in pairs if pair != (name, value)]
        return f"?{urlencode(pairs)}" if pairs else "?"


def explorer_facets(counts: dict, filters: dict) -> list[dict]:
    """Each facet as the template lists it: every value with its count (the others applied), in scale order."""
    facets = []
    for name, legend, choices in EXPLORER_FACETS_SHOWN:
        chosen = set(filters[name])
        options = [
            {"value": value, "label": label, "count": counts[name].get(value, 0), "checked": value in chosen}
            for value, label in choices
        ]
        options = [option for option in options if option["count"] or option["checked"]]
        if options:
            facets.append({"name": name, "legend": legend, "options": options})
    return facets


class CompareForm(forms.Form):
    a = forms.CharField(required=False, max_length=200, label="Career")
    b = forms.CharField(required=False, max_length=200, label="Compare with")

    def __init__(self, data=None, **kwargs):
        if data is not None:
            data = data.copy()
            for name in ("a", "b"):
                data[name] = data.get(name, "").replace("\x00", " ")[:200]
        super().__init__(data, **kwargs)

    def values(self) -> tuple[str, str]:
        if not self.is_valid():
            return "", ""
        return self.cleaned_data["a"], self.cleaned_data["b"]
