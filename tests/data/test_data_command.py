"""`tfcharnlp data` through the real CLI entry point, and the shared data flags."""

import argparse

import pytest

from tfcharnlp.cli import main
from tfcharnlp.data import add_data_arguments, data_config_from_args
from tfcharnlp.errors import ConfigError


def parse(argv):
    parser = argparse.ArgumentParser()
    add_data_arguments(parser)
    return parser.parse_args(argv)


def test_preset_report(shared_data, capsys):
    code = main(["data", "--data", str(shared_data), "--preset", "sms_spam", "--samples", "2"])
    out = capsys.readouterr().out
    assert code == 0
    assert "rows read: 5574, kept: 5574, skipped: 0" in out
    assert "ham: 4827 (86.6%)" in out and "spam: 747 (13.4%)" in out
    assert "train: " in out and "validation: " in out
    assert "[ham] Go until jurong point" in out


def test_path_with_columns_reports_skipped_lines(tmp_path, capsys):
    path = tmp_path / "reviews.csv"
    path.write_text("a,good film,extra\nb,bad film\nc,,\nd,fine,x\n", encoding="utf-8")
    labels_out = tmp_path / "labels.txt"
    argv = ["data", "--path", str(path), "--text-column", "1", "--label-column", "0"]
    code = main([*argv, "--validation-split", "0.5", "--labels-out", str(labels_out)])
    out = capsys.readouterr().out
    assert code == 0
    assert "rows read: 4, kept: 2, skipped: 2" in out
    assert "skipped line 2: expected 3 columns, found 2" in out
    assert "skipped line 3: empty text" in out
    assert labels_out.read_text(encoding="utf-8") == "a\nd\n"


def test_joined_text_columns_by_name(tmp_path, capsys):
    path = tmp_path / "news.csv"
    path.write_text("title,body,topic\nHello,World,x\n", encoding="utf-8")
    argv = ["data", "--path", str(path), "--text-column", "title", "--text-column", "body"]
    assert main([*argv, "--label-column", "topic"]) == 0
    assert "[x] Hello World" in capsys.readouterr().out


def test_strict_mode_exits_2_naming_the_line(tmp_path, capsys):
    path = tmp_path / "a.csv"
    path.write_text("text,label\nok,a\nbroken\n", encoding="utf-8")
    assert main(["data", "--path", str(path), "--strict"]) == 2
    assert "a.csv:3: expected 2 columns" in capsys.readouterr().err


def test_tfds_offline_message(monkeypatch, capsys):
    import sys

    monkeypatch.setitem(sys.modules, "tensorflow_datasets", None)
    assert main(["data", "--path", "tfds:imdb_reviews"]) == 2
    assert "--data DIR" in capsys.readouterr().err


def test_no_source_is_a_clear_error(capsys):
    assert main(["data"]) == 2
    assert "--preset" in capsys.readouterr().err


def test_flags_override_a_preset(shared_data):
    args = parse(
        ["--data", str(shared_data), "--preset", "imdb", "--split", "test"]
        + ["--max-rows", "5", "--strict", "--validation-split", "0.2"]
    )
    config = data_config_from_args(args)
    assert config.path.endswith("imdb/test.csv")
    assert (config.max_rows, config.strict, config.validation_split) == (5, True, 0.2)
    assert config.text_columns == ("text",)
    # Flags left out keep the preset's settings.
    args = parse(["--data", str(shared_data), "--preset", "trec"])
    assert data_config_from_args(args).encoding == "latin-1"


def test_path_relative_to_the_data_folder(shared_data, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    config = data_config_from_args(parse(["--data", str(shared_data), "--path", "sst2/dev.tsv"]))
    assert config.path == str(shared_data / "sst2" / "dev.tsv")


def test_flag_conflicts():
    with pytest.raises(ConfigError, match="not both"):
        data_config_from_args(parse(["--preset", "imdb", "--path", "x.csv"]))
    with pytest.raises(ConfigError, match="--split"):
        data_config_from_args(parse(["--path", "x.csv", "--split", "train"]))
    with pytest.raises(ConfigError, match="contradict"):
        data_config_from_args(parse(["--path", "x.csv", "--no-labels", "--label-column", "y"]))


def test_no_labels_and_header_flags(tmp_path):
    config = data_config_from_args(parse(["--path", "x.csv", "--no-labels", "--no-header"]))
    assert (config.label_column, config.header) == (None, False)


def write_french_reviews(path):
    rows = [
        ("pos", "Très bon film, à voir"),
        ("neg", "Un peu long à la fin"),
        ("pos", '"Les acteurs ont été très bons"'),
        ("neg", "Mauvais " * 30),
    ]
    path.write_text("".join(f"{label}\t{text}\n" for label, text in rows), encoding="utf-8")
    return str(path)


def test_lengths_against_max_length_and_a_suggestion(tmp_path, capsys):
    path = write_french_reviews(tmp_path / "reviews.tsv")
    argv = ["data", "--path", path, "--text-column", "1", "--label-column", "0"]
    assert main([*argv, "--max-length", "25"]) == 0
    out = capsys.readouterr().out
    assert "text length (4 texts; percentiles):\n" in out
    assert "  characters: 50% 21, 90% 240, 95% 240, 99% 240, max 240\n" in out
    assert "  words: 50% 6, 90% 30, 95% 30, 99% 30, max 30\n" in out
    assert (
        "  over --max-length 25: 2 texts (50.0%) in characters, truncated by a character "
        "model; 1 (25.0%) in words, for --tokenizer word\n"
    ) in out
    assert "  suggested --max-length: 240 for characters, 30 for words" in out


def test_alphabet_coverage_with_the_train_flags(tmp_path, capsys):
    path = write_french_reviews(tmp_path / "reviews.tsv")
    argv = ["data", "--path", path, "--text-column", "1", "--label-column", "0"]
    assert main(argv) == 0
    out = capsys.readouterr().out
    # After lower (train's default): è, à, é (2 each) of the 268 non-space characters.
    assert (
        "alphabet zhang69 (69 characters, after lower): 2.24% of 268 non-space characters "
        "are outside it and get the unknown id\n"
    ) in out
    assert "  most frequent: 'è' 2, 'à' 2, 'é' 2\n" in out
    assert "  to keep them: --extra-characters 'èàé'\n" in out
    assert "spaces get the unknown id too (as in Crepe; zhang70 has the space)" in out
    # With the suggested flag and zhang70, nothing is unknown any more.
    assert main([*argv, "--alphabet", "zhang70", "--extra-characters", "éàè"]) == 0
    out = capsys.readouterr().out
    assert "alphabet zhang70 + 3 extra (73 characters, after lower): 0.00% of 268" in out
    assert "most frequent" not in out and "space:" not in out
    # Without lower-casing, capitals are unknown too.
    assert main([*argv, "--normalize", ""]) == 0
    assert "most frequent: 'M' 30, 'è' 2, 'à' 2, 'é' 2, 'T' 1," in capsys.readouterr().out


def test_first_layer_size_of_each_char_mode(tmp_path, capsys):
    path = write_french_reviews(tmp_path / "reviews.tsv")
    argv = ["data", "--path", path, "--text-column", "1", "--label-column", "0"]
    assert main([*argv, "--extra-characters", "éàè"]) == 0
    out = capsys.readouterr().out
    assert "  alphabet        74 ids    37 KiB / 518 KiB\n" in out
    assert "  unicode  1,114,114 ids   544 MiB / 7.4 GiB\n" in out
    assert "  bytes          258 ids   129 KiB / 1.8 MiB\n" in out


def test_csv_quotes_in_a_tsv_are_noted(tmp_path, capsys):
    path = write_french_reviews(tmp_path / "reviews.tsv")
    argv = ["data", "--path", path, "--text-column", "1", "--label-column", "0"]
    assert main(argv) == 0
    assert (
        "note: 1 of 4 texts start and end with a double quote, as CSV quoting writes fields; "
        "read with --quoting none (the TSV default), the quotes stay in the text "
        "(--quoting minimal reads them as quoting)"
    ) in capsys.readouterr().out
    assert main([*argv, "--quoting", "minimal"]) == 0
    out = capsys.readouterr().out
    assert "note:" not in out


def test_most_rows_skipped_prints_the_report_and_exits_2(tmp_path, capsys):
    path = tmp_path / "a.csv"
    path.write_text("text,label\nfine,a\nbroken\nalso,broken,row\n", encoding="utf-8")
    assert main(["data", "--path", str(path)]) == 2
    captured = capsys.readouterr()
    assert "rows read: 3, kept: 1, skipped: 2" in captured.out
    assert captured.err == (
        "tfcharnlp data: error: most rows were skipped (2 of 3); the report above lists why\n"
    )


def test_half_the_rows_skipped_is_not_most(tmp_path):
    path = tmp_path / "a.csv"
    path.write_text("text,label\nfine,a\nbroken\n", encoding="utf-8")
    assert main(["data", "--path", str(path)]) == 0


def test_wrong_encoding_error_names_the_encoding_flag(tmp_path, capsys):
    path = tmp_path / "a.csv"
    path.write_bytes("text,label\ncafé,pos\nnaïf,neg\nplain,pos\n".encode("latin-1"))
    assert main(["data", "--path", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(
        f"tfcharnlp data: error: {path}: the encoding looks wrong: 2 of 3 rows are not valid "
        "utf-8; if the source is in another encoding, try --encoding latin-1 (or cp1252)\n"
    )
    assert "labels" not in err.splitlines()[0]
    assert main(["data", "--path", str(path), "--encoding", "latin-1"]) == 0


def test_folder_of_extensionless_files_and_the_suffix_flag(tmp_path, capsys):
    for label in ("sci.space", "rec.autos"):
        (tmp_path / "news" / label).mkdir(parents=True)
        (tmp_path / "news" / label / "60001").write_text(f"a {label} post", encoding="utf-8")
    (tmp_path / "news" / "rec.autos" / ".hidden").write_text("x", encoding="utf-8")
    argv = ["data", "--path", str(tmp_path / "news")]
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert (
        "rows read: 2, kept: 2, skipped: 0\nfiles ignored: hidden files (name starts with '.'): 1"
        in out
    )
    assert main([*argv, "--file-suffix", ".txt"]) == 2
    err = capsys.readouterr().err
    assert "every file was ignored" in err
    assert "files not ending in '.txt' (--file-suffix): 2" in err


def test_unterminated_quote_through_the_command(tmp_path, capsys):
    path = tmp_path / "a.csv"
    path.write_text('text,label\ngood,pos\n"open,neg\nfine,pos\nbad,neg\n', encoding="utf-8")
    assert main(["data", "--path", str(path)]) == 0
    out = capsys.readouterr().out
    assert "rows read: 4, kept: 3, skipped: 1" in out
    assert "skipped line 3: unterminated quote: the quoted field opened on this line runs" in out


def test_language_model_text_reports_its_own_alphabet(tmp_path, capsys):
    path = tmp_path / "corpus.txt"
    path.write_text("to be or not\nto be\n", encoding="utf-8")
    assert main(["data", "--path", str(path)]) == 0
    out = capsys.readouterr().out
    assert "a language model's alphabet is the text's own: 8 distinct characters" in out
    assert "text length" not in out


def test_data_help_lists_named_alphabets(capsys):
    with pytest.raises(SystemExit):
        main(["data", "--help"])
    help_text = " ".join(capsys.readouterr().out.split())
    assert "zhang69 (default, 69 characters), zhang70 (70 characters), crepe (68" in help_text
    assert (
        "--max-length MAX_LENGTH characters (or words) per text, or 'auto' (the training "
        "texts' 95th percentile within the default family's bounds; default: auto)"
    ) in help_text
