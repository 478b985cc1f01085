"""The preprocessors a run's config describes, built in one place for `train` and `tune`."""

from tfcharnlp.errors import ConfigError
from tfcharnlp.preprocessing.char_tokenizer import CharTokenizer
from tfcharnlp.preprocessing.ngram_tokenizer import NGramTokenizer
from tfcharnlp.preprocessing.text_normalizer import TextNormalizer
from tfcharnlp.preprocessing.text_preprocessor import TextPreprocessor
from tfcharnlp.preprocessing.word_tokenizer import WordTokenizer


def build_preprocessor(config, train_texts=None):
    """The classifier's `TextPreprocessor`: normalizer + char, word or n-gram tokenizer.

    Args:
        config: a resolved `TrainConfig` (its tokenizer, normalize,
            max_length, max_tokens, word_split, alphabet, extra_characters,
            char_mode and reverse fields, and for n-grams buckets,
            word_ngrams and char_ngram_min/max, are read).
        train_texts: `tf.data.Dataset` of training strings; a word tokenizer
            adapts its vocabulary to them (after normalization).
    """
    normalizer = TextNormalizer(steps=tuple(config.normalize)) if config.normalize else None
    if config.tokenizer == "ngram":
        return TextPreprocessor(tokenizer=ngram_tokenizer(config), normalizer=normalizer)
    if config.tokenizer == "word":
        if train_texts is None:
            raise ValueError("a word tokenizer needs the training texts to adapt its vocabulary")
        tokenizer = WordTokenizer(
            max_tokens=config.max_tokens, max_length=config.max_length, split=config.word_split
        )
        tokenizer.adapt(train_texts.map(normalizer) if normalizer is not None else train_texts)
        return TextPreprocessor(tokenizer=tokenizer, normalizer=normalizer)
    kwargs = {}
    if config.alphabet is not None:
        kwargs["alphabet"] = config.alphabet
    if config.char_mode == "alphabet":
        kwargs["extra_characters"] = config.extra_characters
    elif config.extra_characters:
        raise ConfigError("extra_characters", "applies to char_mode 'alphabet' only")
    tokenizer = CharTokenizer(
        mode=config.char_mode, max_length=config.max_length, reverse=config.reverse, **kwargs
    )
    return TextPreprocessor(tokenizer=tokenizer, normalizer=normalizer)


def ngram_tokenizer(config):
    """The `NGramTokenizer` of a resolved config: hashing needs no vocabulary, so no texts.

    Words are lower-cased, as the word tokenizer's are; by the tokenizer only
    when the normalizer does not already (lowering twice costs a second on IMDB).
    """
    char_ngrams = None
    if config.char_ngram_max:
        char_ngrams = (config.char_ngram_min, config.char_ngram_max)
    return NGramTokenizer(
        num_buckets=config.buckets,
        ngrams=config.word_ngrams,
        char_ngrams=char_ngrams,
        max_length=config.max_length,
        split=config.word_split,
        lowercase="lower" not in config.normalize,
    )


def language_model_tokenizers(train_text, max_length):
    """`(window_tokenizer, prompt_preprocessor)` of a character language model.

    Both have the alphabet of `train_text`, so their ids agree. Windows are
    cut from the whole text tokenized at once (no `max_length`); the
    preprocessor the model carries for prompts pads to `max_length`.
    """
    window_tokenizer = CharTokenizer.from_text(train_text, max_length=None)
    prompt_preprocessor = TextPreprocessor(
        tokenizer=CharTokenizer.from_text(train_text, max_length=max_length)
    )
    return window_tokenizer, prompt_preprocessor
