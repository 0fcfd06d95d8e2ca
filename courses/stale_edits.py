"""The admin's guard against overwriting a colleague's newer save, for any model with an `updated_at`.

Here rather than in guides, which has the most editors: courses' own admin needs it too, and guides may
import courses, never the reverse.
"""

from django import forms
from simple_history.models import to_historic


class StaleCheckInput(forms.HiddenInput):
    """The hidden version stamp. Django's admin still writes a <label for=…> for a hidden field in a fieldset,
    and a label may only name a control people can see (HTML): so this one is labelled for nothing."""

    def id_for_label(self, id_):
        return ""


class StaleEditForm(forms.ModelForm):
    """Refuses a save when someone else saved the same row after this form was loaded.

    The form carries the row's `updated_at` as it was when the editor opened it; if the
    database has a newer one, the editor is asked to reload instead of silently
    overwriting a colleague's work (and the history keeps both versions either way).
    """

    loaded_version = forms.CharField(widget=StaleCheckInput, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["loaded_version"].initial = self.current_version().isoformat()

    def current_version(self):
        """The `updated_at` the editor's save must still find: the row's own, as the form shows it.

        A history version shown for reverting carries that old version's timestamp, but what the editor
        overwrites by pressing Revert is the row as it is now, so that is the version they loaded.
        """
        if to_historic(self.instance) is None:
            return self.instance.updated_at
        current = type(self.instance).objects.filter(pk=self.instance.pk).values_list("updated_at", flat=True)
        return current.first() or self.instance.updated_at  # deleted since: nothing to overwrite

    def clean(self):
        cleaned_data = super().clean()
        # Untouched rows are not saved, so only a changed row can overwrite someone's work.
        if self.instance.pk and self.has_changed():
            loaded = cleaned_data.get("loaded_version")
            current = type(self.instance).objects.filter(pk=self.instance.pk).values_list("updated_at", flat=True)
            current = current.first()
            if loaded and current and current.isoformat() != loaded:
                raise forms.ValidationError(
                    "Someone else saved this after you opened it. Copy your changes, reload the page and "
                    "apply them again (the history keeps both versions).",
                    code="stale",
                )
        return cleaned_data
