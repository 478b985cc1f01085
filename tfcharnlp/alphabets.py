"""Named character alphabets, and the reserved ids every tokenizer shares.

Pure Python, outside `tfcharnlp.preprocessing` (whose package imports
TensorFlow), so that `--help` and `tfcharnlp data` can name and check
alphabets without loading TensorFlow.

Zhang, Zhao & LeCun (2015), "Character-level Convolutional Networks for Text
Classification", section 2.2: "The alphabet used in all of our models consists
of 70 characters, including 26 english letters, 10 digits, 33 other characters
and the new line character. The non-space characters are:
abcdefghijklmnopqrstuvwxyz0123456789 -,;.!?:'"/\\|_@#$%^&*~`+-=<>()[]{}".

The printed list holds "-" twice, so it names only 68 distinct non-space
characters; Zhang's own Crepe code (`train/config.lua`) uses exactly that
69-character string, without the new line, and its lookup maps both "-" to
one slot, so one one-hot row is never set. A lookup cannot give one character
two ids, so we keep each character once:

- `ZHANG_ALPHABET` (the default, "zhang69"): the paper's distinct characters
  plus the new line, 69 characters. Space is not in it: as in Crepe, where a
  space quantizes to the all-zero vector like any unknown character, a space
  gets the unknown id.
- `ZHANG_ALPHABET_70` ("zhang70"): the same plus the space, 70 characters. The
  paper's "33 other characters" reads as 32 symbols plus the space, which is
  the one reading under which its count of 70 holds with distinct characters.
- `CREPE_ALPHABET` ("crepe"): Crepe's literal string (68 distinct characters,
  no new line), for comparison with its published models.
"""

PADDING_ID = 0
UNKNOWN_ID = 1
NUM_RESERVED_IDS = 2
# Hash buckets of the n-gram tokenizer that fit int32 ids after the reserved ones.
MAX_NGRAM_BUCKETS = 2**31 - 1 - NUM_RESERVED_IDS
PADDING_TOKEN = "<pad>"
UNKNOWN_TOKEN = "<unk>"
# `detokenize` writes this for the unknown id: the Unicode replacement
# character, which is also what the decoder substitutes for invalid UTF-8.
UNKNOWN_PLACEHOLDER = "\ufffd"

_LOWER = "abcdefghijklmnopqrstuvwxyz"
_DIGITS = "0123456789"
_SYMBOLS = "-,;.!?:'\"/\\|_@#$%^&*~`+=<>()[]{}"

ZHANG_ALPHABET = _LOWER + _DIGITS + _SYMBOLS + "\n"
ZHANG_ALPHABET_70 = ZHANG_ALPHABET + " "
CREPE_ALPHABET = _LOWER + _DIGITS + "-,;.!?:'\"/\\|_@#$%^&*~`+-=<>()[]{}"

ALPHABETS = {
    "zhang69": ZHANG_ALPHABET,
    "zhang70": ZHANG_ALPHABET_70,
    "crepe": CREPE_ALPHABET,
}


def describe_alphabets():
    """The named alphabets for a flag's help: `zhang69 (default, 69 characters), ...`."""
    names = []
    for name, characters in ALPHABETS.items():
        count = len(dict.fromkeys(characters))
        default = "default, " if characters == ZHANG_ALPHABET else ""
        names.append(f"{name} ({default}{count} characters)")
    return ", ".join(names)


def alphabet_name(characters):
    """The name of a resolved alphabet, or None when it is not a named one."""
    for name, named in ALPHABETS.items():
        if "".join(dict.fromkeys(named)) == characters:
            return name
    return None


def resolve_alphabet(alphabet, extra_characters=""):
    """Returns the distinct characters of `alphabet` + `extra_characters`.

    `alphabet` is a key of `ALPHABETS` or a string of characters. Repeated
    characters keep their first position, so Crepe's string (with "-" twice)
    is accepted and gives 68 characters.
    """
    from tfcharnlp.errors import ConfigError

    if not isinstance(alphabet, str):
        raise ConfigError("alphabet", f"expected a string, got {type(alphabet).__name__}")
    if not isinstance(extra_characters, str):
        raise ConfigError(
            "extra_characters", f"expected a string, got {type(extra_characters).__name__}"
        )
    characters = ALPHABETS.get(alphabet, alphabet) + extra_characters
    if not characters:
        raise ConfigError("alphabet", "is empty; give at least one character")
    return "".join(dict.fromkeys(characters))
