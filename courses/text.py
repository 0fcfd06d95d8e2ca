"""Names people read: titles, headings, topic and provider names, from a feed or an editor.

Zero-width and other invisible format characters (U+200B-U+200D, U+2060, U+FEFF and the rest of Unicode's
"format" category, such as bidi marks and the soft hyphen) sneak in with copied text. At the ends of a name
they are dropped; a name with nothing visible left is refused: it would show as a blank-looking link.
"""

import unicodedata

from django.core.exceptions import ValidationError


def _invisible(char: str) -> bool:
    return char.isspace() or unicodedata.category(char) == "Cf"


def strip_invisible(text: str) -> str:
    """`text` without whitespace and invisible format characters at either end."""
    start, end = 0, len(text)
    while start < end and _invisible(text[start]):
        start += 1
    while end > start and _invisible(text[end - 1]):
        end -= 1
    return text[start:end]


class VisibleNames:
    """Model mixin: the fields named in `visible_name_fields` are stripped of invisible ends when the model is
    cleaned (admin forms), and must keep at least one visible character.
    """

    visible_name_fields: tuple[str, ...] = ()

    def clean(self):
        super().clean()
        errors = {}
        for field in self.visible_name_fields:
            value = strip_invisible(getattr(self, field) or "")
            setattr(self, field, value)
            if not value:
                errors[field] = "Has no visible characters (only spaces or invisible characters such as U+200B)."
        if errors:
            raise ValidationError(errors)
