import pytest
import tensorflow as tf

from tests.test_case import TestCase
from tfcharnlp.errors import ConfigError
from tfcharnlp.preprocessing import TextNormalizer


def normalize(steps, texts):
    return [t.decode("utf-8") for t in TextNormalizer(steps=steps)(texts).numpy()]


class TestTextNormalizer(TestCase):
    def test_lower_is_unicode_aware(self):
        assert normalize(("lower",), ["ÉCOLE Straße ΣΑΣ", "ABC"]) == ["école straße σας", "abc"]

    def test_lower_keeps_nul_characters(self):
        out = TextNormalizer(steps=("lower",))(tf.constant([b"A\x00B"])).numpy()
        assert out.tolist() == [b"a\x00b"]

    def test_nfkc(self):
        assert normalize(("nfkc",), ["ﬁne ① Ａ", "e\u0301"]) == ["fine 1 A", "é"]

    def test_remove_urls(self):
        texts = ["see https://t.co/x?a=1 now", "www.example.org/a ok", "HTTP://X.Y end", "no url"]
        assert normalize(("remove_urls",), texts) == ["see  now", " ok", " end", "no url"]

    def test_remove_hashtags(self):
        texts = ["#fun day #café", "C# stays", "a#b stays"]
        assert normalize(("remove_hashtags",), texts) == [" day ", "C# stays", "a#b stays"]

    def test_remove_mentions_keeps_email(self):
        texts = ["@bob hi @ann_1!", "mail a@b.com"]
        assert normalize(("remove_mentions",), texts) == [" hi !", "mail a@b.com"]

    def test_strip_html(self):
        texts = ["great film.<br /><br />Loved it", "<i>Brazil</i> (1985)", "if a < b and c > d"]
        assert normalize(("strip_html",), texts) == [
            "great film.  Loved it",
            " Brazil  (1985)",
            "if a < b and c > d",
        ]

    def test_steps_in_order_through_every_runtime(self):
        self.run_preprocessing_layer_test(
            TextNormalizer,
            {
                "steps": (
                    "strip_html",
                    "remove_mentions",
                    "remove_hashtags",
                    "remove_urls",
                    "nfkc",
                    "lower",
                )
            },
            ["Hi @bob, #Tag ＡＢ http://x.y", "", "é"],
            expected_output=[b"hi ,  ab ", b"", "é".encode()],
        )

    def test_matrix_input_keeps_shape(self):
        out = TextNormalizer()([["A", "B"], ["C", "D"]])
        assert out.shape == (2, 2)

    def test_invalid_utf8_does_not_fail(self):
        out = TextNormalizer(steps=("nfkc", "lower", "remove_urls"))(tf.constant([b"A\xffB"]))
        assert out.numpy().tolist() == ["a\ufffdb".encode()]

    def test_unknown_step_names_steps(self):
        with pytest.raises(ConfigError) as error:
            TextNormalizer(steps=("lower", "stem"))
        assert error.value.field == "steps" and "stem" in str(error.value)
