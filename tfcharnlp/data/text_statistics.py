"""What a model would see of the texts: lengths against `max_length`, and alphabet coverage.

Pure Python over the texts `read_examples` kept, so `tfcharnlp data` can
answer before any training: how many texts a `max_length` truncates, which
length fits most of them, and which characters the alphabet turns into the
unknown id.
"""

import dataclasses
import math
import unicodedata
from collections import Counter

# Percentiles reported for the length distribution.
PERCENTILES = (50, 90, 95, 99)
# The share of texts a suggested max_length keeps whole.
SUGGESTED_PERCENTILE = 95
# The `max_length` value that asks for the suggested length of the training texts.
AUTO_LENGTH = "auto"


def parse_max_length(value):
    """A `--max-length` flag: a count, or `AUTO_LENGTH`."""
    return value if value == AUTO_LENGTH else int(value)


# Normalization steps that change which characters a text holds; the others
# (remove_urls, strip_html, ...) only delete spans and are not applied here.
_CHARACTER_STEPS = {
    "lower": str.lower,
    "nfkc": lambda text: unicodedata.normalize("NFKC", text),
}


def percentile(sorted_values, percent):
    """The nearest-rank percentile: the smallest value with `percent`% of values at or below it."""
    if not sorted_values:
        raise ValueError("no values")
    rank = max(1, math.ceil(percent / 100 * len(sorted_values)))
    return sorted_values[rank - 1]


def round_up_length(length):
    """`length` rounded up to two significant digits (357 -> 360, 1234 -> 1300)."""
    if length < 100:
        return max(1, length)
    scale = 10 ** (len(str(length)) - 2)
    return -(-length // scale) * scale


@dataclasses.dataclass
class LengthStatistics:
    """Text lengths in one unit (characters or whitespace-separated words).

    Args:
        unit: `"characters"` or `"words"`.
        lengths: every text's length, sorted.
    """

    unit: str
    lengths: list

    @classmethod
    def of(cls, texts, unit):
        measure = len if unit == "characters" else lambda text: len(text.split())
        return cls(unit, sorted(measure(text) for text in texts))

    def percentiles(self):
        return {percent: percentile(self.lengths, percent) for percent in PERCENTILES}

    def over(self, max_length):
        """How many texts are longer than `max_length` (and so get truncated)."""
        return sum(1 for length in self.lengths if length > max_length)

    def suggested_max_length(self, low=1, high=None):
        """The `SUGGESTED_PERCENTILE`th percentile rounded up, kept within [low, high]."""
        length = max(low, round_up_length(percentile(self.lengths, SUGGESTED_PERCENTILE)))
        return length if high is None else min(high, length)

    def describe(self):
        points = ", ".join(f"{p}% {v:,}" for p, v in self.percentiles().items())
        return f"{self.unit}: {points}, max {self.lengths[-1]:,}"


def normalize_characters(text, steps):
    """`text` after the steps of `steps` that change characters (lower, nfkc), in order."""
    for step in steps:
        if step in _CHARACTER_STEPS:
            text = _CHARACTER_STEPS[step](text)
    return text


def unapplied_steps(steps):
    """The normalization steps `normalize_characters` leaves out."""
    return [step for step in steps if step not in _CHARACTER_STEPS]


@dataclasses.dataclass
class AlphabetCoverage:
    """How many characters of the texts an alphabet knows.

    Space is counted apart: the default alphabet leaves it out on purpose
    (as Crepe does, a space gets the unknown id), so it would swamp the
    share of characters that really are missing.

    Args:
        characters: non-space characters in the texts.
        unknown: those not in the alphabet, by character.
        spaces: space characters.
        space_known: whether the alphabet has the space.
        distinct: distinct characters in the texts, the space included.
    """

    characters: int
    unknown: Counter
    spaces: int
    space_known: bool
    distinct: int

    @classmethod
    def of(cls, texts, alphabet, normalize=()):
        # str.translate deletes the known characters in C; only the few unknown ones
        # are counted one by one (IMDB's 33 million characters take about a second).
        delete_known = dict.fromkeys(map(ord, set(alphabet) | {" "}))
        unknown, distinct = Counter(), set()
        characters = spaces = 0
        for text in texts:
            text = normalize_characters(text, normalize)
            distinct.update(text)
            text_spaces = text.count(" ")
            spaces += text_spaces
            characters += len(text) - text_spaces
            rest = text.translate(delete_known)
            if rest:
                unknown.update(rest)
        return cls(characters, unknown, spaces, " " in alphabet, len(distinct))

    @property
    def unknown_share(self):
        return sum(self.unknown.values()) / self.characters if self.characters else 0.0

    def extra_characters(self, limit=40):
        """The most frequent unknown printable characters, as a value for --extra-characters."""
        printable = [c for c, _ in self.unknown.most_common() if c.isprintable()]
        return "".join(printable[:limit])
