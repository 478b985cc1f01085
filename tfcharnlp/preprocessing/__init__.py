"""In-graph text preprocessing: Keras layers that run in tf.data and in SavedModels."""

from tfcharnlp.alphabets import ALPHABETS as ALPHABETS
from tfcharnlp.alphabets import CREPE_ALPHABET as CREPE_ALPHABET
from tfcharnlp.alphabets import NUM_RESERVED_IDS as NUM_RESERVED_IDS
from tfcharnlp.alphabets import PADDING_ID as PADDING_ID
from tfcharnlp.alphabets import PADDING_TOKEN as PADDING_TOKEN
from tfcharnlp.alphabets import UNKNOWN_ID as UNKNOWN_ID
from tfcharnlp.alphabets import UNKNOWN_PLACEHOLDER as UNKNOWN_PLACEHOLDER
from tfcharnlp.alphabets import UNKNOWN_TOKEN as UNKNOWN_TOKEN
from tfcharnlp.alphabets import ZHANG_ALPHABET as ZHANG_ALPHABET
from tfcharnlp.alphabets import ZHANG_ALPHABET_70 as ZHANG_ALPHABET_70
from tfcharnlp.preprocessing.char_tokenizer import CharTokenizer as CharTokenizer
from tfcharnlp.preprocessing.language_model_windows import (
    language_model_windows as language_model_windows,
)
from tfcharnlp.preprocessing.ngram_tokenizer import NGramTokenizer as NGramTokenizer
from tfcharnlp.preprocessing.pipeline import make_pipeline as make_pipeline
from tfcharnlp.preprocessing.preprocessing_layer import PreprocessingLayer as PreprocessingLayer
from tfcharnlp.preprocessing.text_normalizer import TextNormalizer as TextNormalizer
from tfcharnlp.preprocessing.text_preprocessor import TextPreprocessor as TextPreprocessor
from tfcharnlp.preprocessing.vocabulary_file import read_vocabulary_file as read_vocabulary_file
from tfcharnlp.preprocessing.vocabulary_file import write_vocabulary_file as write_vocabulary_file
from tfcharnlp.preprocessing.word_tokenizer import WordTokenizer as WordTokenizer
