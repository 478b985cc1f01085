"""Length percentiles, the suggested max_length and alphabet coverage, on texts written here."""

from collections import Counter

import pytest

from tfcharnlp.alphabets import ZHANG_ALPHABET, ZHANG_ALPHABET_70
from tfcharnlp.data.text_statistics import (
    AlphabetCoverage,
    LengthStatistics,
    normalize_characters,
    percentile,
    round_up_length,
    unapplied_steps,
)


def test_nearest_rank_percentile():
    values = list(range(1, 101))  # 1..100
    assert [percentile(values, p) for p in (50, 90, 95, 99, 100)] == [50, 90, 95, 99, 100]
    assert percentile([7], 50) == 7
    assert percentile([1, 2, 3], 50) == 2
    with pytest.raises(ValueError):
        percentile([], 50)


@pytest.mark.parametrize(
    ("length", "rounded"),
    [(0, 1), (8, 8), (99, 99), (100, 100), (357, 360), (1001, 1100), (1234, 1300), (20001, 21000)],
)
def test_round_up_length_to_two_significant_digits(length, rounded):
    assert round_up_length(length) == rounded


def test_length_statistics_in_characters_and_words():
    texts = ["a b c", "one two", "x" * 20, "w " * 10]
    characters = LengthStatistics.of(texts, "characters")
    words = LengthStatistics.of(texts, "words")
    assert characters.lengths == [5, 7, 20, 20]
    assert words.lengths == [1, 2, 3, 10]
    assert characters.over(7) == 2 and characters.over(20) == 0
    assert words.over(2) == 2
    assert characters.describe() == "characters: 50% 7, 90% 20, 95% 20, 99% 20, max 20"
    assert words.suggested_max_length() == 10


def test_suggested_max_length_keeps_95_percent_of_texts_whole():
    texts = ["x" * n for n in range(1, 1001)]  # lengths 1..1000
    stats = LengthStatistics.of(texts, "characters")
    suggested = stats.suggested_max_length()
    assert suggested == 950
    assert stats.over(suggested) == 50  # 5% truncated


def test_coverage_counts_unknown_characters_apart_from_spaces():
    coverage = AlphabetCoverage.of(["Café été", "déjà vu!"], ZHANG_ALPHABET, normalize=["lower"])
    assert coverage.spaces == 2
    assert coverage.characters == 14
    assert coverage.unknown == Counter({"é": 4, "à": 1})
    assert coverage.unknown_share == pytest.approx(5 / 14)
    assert not coverage.space_known
    assert coverage.extra_characters() == "éà"
    assert coverage.distinct == len(set("café été déjà vu!"))


def test_coverage_without_lower_counts_capitals_as_unknown():
    coverage = AlphabetCoverage.of(["Hello World"], ZHANG_ALPHABET, normalize=[])
    assert coverage.unknown == Counter({"H": 1, "W": 1})
    assert AlphabetCoverage.of(["Hello World"], ZHANG_ALPHABET_70, ["lower"]).space_known


def test_extra_characters_leave_out_unprintable_ones():
    coverage = AlphabetCoverage.of(["a\tb\u200bé"], ZHANG_ALPHABET)
    assert set(coverage.unknown) == {"\t", "\u200b", "é"}
    assert coverage.extra_characters() == "é"


def test_normalization_applies_only_character_changing_steps():
    assert normalize_characters("ＡＢ ﬁ", ["nfkc", "lower"]) == "ab fi"
    assert normalize_characters("<b>X</b>", ["strip_html", "lower"]) == "<b>x</b>"
    assert unapplied_steps(["lower", "strip_html", "remove_urls"]) == ["strip_html", "remove_urls"]


def test_python_lower_matches_the_in_graph_lower():
    # The coverage report lower-cases in Python; the model does it with a TF op.
    from tfcharnlp.preprocessing import TextNormalizer

    text = "Ça VA? ÉTÉ, Straße, ÀÖ İstanbul ΣΑΣ"
    in_graph = TextNormalizer(steps=("lower",))([text]).numpy()[0].decode("utf-8")
    assert normalize_characters(text, ["lower"]) == in_graph
