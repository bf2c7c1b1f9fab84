"""How strong a new password is (zxcvbn), with zxcvbn's advice in the user's language."""
from dataclasses import dataclass, field

from flask_babel import lazy_gettext as _l

# zxcvbn refuses inputs over 72 characters; a longer password is judged by its head
# (it is only ever stronger) and stored whole.
ZXCVBN_MAX = 72
MAX_LENGTH = 256

# zxcvbn's feedback comes in English; these are its texts, marked for our catalog.
FEEDBACK = {
    "Add another word or two. Uncommon words are better.":
        _l("Add another word or two. Uncommon words are better."),
    "Capitalization doesn't help very much.": _l("Capitalization doesn't help very much."),
    "Reversed words aren't much harder to guess.":
        _l("Reversed words aren't much harder to guess."),
    "Predictable substitutions like '@' instead of 'a' don't help very much.":
        _l("Predictable substitutions like '@' instead of 'a' don't help very much."),
    "Use a few words, avoid common phrases.": _l("Use a few words, avoid common phrases."),
    "No need for symbols, digits, or uppercase letters.":
        _l("No need for symbols, digits, or uppercase letters."),
    "Straight rows of keys are easy to guess.": _l("Straight rows of keys are easy to guess."),
    "Short keyboard patterns are easy to guess.":
        _l("Short keyboard patterns are easy to guess."),
    "This is a top-10 common password.": _l("This is a top-10 common password."),
    "This is similar to a commonly used password.":
        _l("This is similar to a commonly used password."),
    "A word by itself is easy to guess.": _l("A word by itself is easy to guess."),
    "All-uppercase is almost as easy to guess as all-lowercase.":
        _l("All-uppercase is almost as easy to guess as all-lowercase."),
    "Use a longer keyboard pattern with more turns.":
        _l("Use a longer keyboard pattern with more turns."),
    'Repeats like "aaa" are easy to guess.': _l('Repeats like "aaa" are easy to guess.'),
    'Repeats like "abcabcabc" are only slightly harder to guess than "abc".':
        _l('Repeats like "abcabcabc" are only slightly harder to guess than "abc".'),
    "This is a top-100 common password.": _l("This is a top-100 common password."),
    "This is a very common password.": _l("This is a very common password."),
    "Names and surnames by themselves are easy to guess.":
        _l("Names and surnames by themselves are easy to guess."),
    "Common names and surnames are easy to guess.":
        _l("Common names and surnames are easy to guess."),
    "Avoid repeated words and characters.": _l("Avoid repeated words and characters."),
    'Sequences like "abc" or "6543" are easy to guess.':
        _l('Sequences like "abc" or "6543" are easy to guess.'),
    "Avoid sequences.": _l("Avoid sequences."),
    "Recent years are easy to guess.": _l("Recent years are easy to guess."),
    "Dates are often easy to guess.": _l("Dates are often easy to guess."),
    "Avoid recent years.": _l("Avoid recent years."),
    "Avoid years that are associated with you.": _l("Avoid years that are associated with you."),
    "Avoid dates and years that are associated with you.":
        _l("Avoid dates and years that are associated with you."),
}

LABELS = (_l("Very weak"), _l("Weak"), _l("Fair"), _l("Strong"), _l("Very strong"))


@dataclass(frozen=True)
class Strength:
    score: int  # 0..4, zxcvbn's scale
    acceptable: bool
    warning: str = ""
    suggestions: tuple = field(default_factory=tuple)

    @property
    def label(self):
        return str(LABELS[self.score])

    @property
    def advice(self):
        """One sentence-or-two of why and how, for a form error."""
        return " ".join(part for part in (self.warning, *self.suggestions) if part)


def _translate(text):
    return str(FEEDBACK.get(text, text)) if text else ""


def _personal_words(user_inputs):
    words = []
    for value in user_inputs:
        value = (value or "").strip()
        if value:
            words.append(value)
            words.extend(value.replace(".", " ").replace("@", " ").split())
    return words


def evaluate(password, user_inputs=(), min_score=3):
    """Judge `password`; the user's own login, names and address count as known
    words, so a password built from them is weak."""
    password = password or ""
    if not password:
        return Strength(score=0, acceptable=False)
    # Its word lists are some 12 MB: loaded by the first password judged, not by
    # every web worker that never sees a registration.
    from zxcvbn import zxcvbn
    result = zxcvbn(password[:ZXCVBN_MAX], user_inputs=_personal_words(user_inputs))
    feedback = result.get("feedback") or {}
    score = int(result["score"])
    return Strength(
        score=score,
        acceptable=score >= min_score and len(password) <= MAX_LENGTH,
        warning=_translate(feedback.get("warning")),
        suggestions=tuple(_translate(s) for s in feedback.get("suggestions") or ()),
    )
