"""CSV/TSV reading on small files written here: headers, columns, quoting, encodings, bad rows."""

import pytest

from tfcharnlp.data import DataConfig, read_examples
from tfcharnlp.errors import ConfigError, DataError


def write(path, text, encoding="utf-8"):
    path.write_bytes(text.encode(encoding))
    return str(path)


def write_bytes(path, data):
    path.write_bytes(data)
    return str(path)


def test_header_columns_by_name(tmp_path):
    path = write(tmp_path / "a.csv", "id,text,label\n1,good film,pos\n2,bad film,neg\n")
    result = read_examples(DataConfig(path=path))
    assert result.texts == ["good film", "bad film"]
    assert result.labels == ["pos", "neg"]
    assert result.report.header is True
    assert (result.report.rows_read, result.report.rows_kept) == (2, 2)
    assert result.label_vocabulary.labels == ("neg", "pos")
    assert result.report.class_counts == {"neg": 1, "pos": 1}


def test_no_header_columns_by_index(tmp_path):
    path = write(tmp_path / "a.csv", "pos,good film\nneg,bad film\n")
    result = read_examples(DataConfig(path=path, text_columns=(1,), label_column=0))
    assert result.texts == ["good film", "bad film"]
    assert result.labels == ["pos", "neg"]
    assert result.report.header is False


def test_header_auto_detected_over_integer_labels_with_indices(tmp_path):
    path = write(tmp_path / "a.tsv", "sentence\tlabel\nfine\t1\nawful\t0\n")
    result = read_examples(DataConfig(path=path, text_columns=(0,), label_column=1))
    assert result.report.header is True
    assert result.labels == ["1", "0"]


def test_explicit_header_false_reads_first_row_as_data(tmp_path):
    path = write(tmp_path / "a.csv", "x,1\ny,2\n")
    result = read_examples(DataConfig(path=path, text_columns=0, label_column=1, header=False))
    assert result.texts == ["x", "y"]


def test_several_text_columns_joined_with_a_space(tmp_path):
    path = write(tmp_path / "a.csv", '"3","Title one","Body one"\n"1","","Body two"\n')
    result = read_examples(DataConfig(path=path, text_columns=(1, 2), label_column=0))
    # An empty column adds no stray space.
    assert result.texts == ["Title one Body one", "Body two"]


def test_quoted_fields_with_embedded_commas_newlines_and_quotes(tmp_path):
    path = write(
        tmp_path / "a.csv",
        'text,label\n"one, two",a\n"line one\nline two",b\n"say ""hi""",a\nplain,b\n',
    )
    result = read_examples(DataConfig(path=path))
    assert result.texts == ["one, two", "line one\nline two", 'say "hi"', "plain"]
    assert result.report.rows_skipped == 0


def test_line_numbers_count_physical_lines_after_multiline_field(tmp_path):
    path = write(tmp_path / "a.csv", 'text,label\n"a\nb\nc",x\nbad row only\nok,y\n')
    result = read_examples(DataConfig(path=path))
    assert result.report.skipped[0].line == 5
    assert "expected 2 columns, found 1" in result.report.skipped[0].reason


def test_latin1_file(tmp_path):
    path = write(tmp_path / "a.csv", "text,label\ncafé crème,x\n", encoding="latin-1")
    result = read_examples(DataConfig(path=path, encoding="latin-1"))
    assert result.texts == ["café crème"]


def test_utf8_byte_order_mark_is_not_part_of_the_first_column_name(tmp_path):
    path = write_bytes(tmp_path / "a.csv", b"\xef\xbb\xbftext,label\nhello,x\n")
    assert read_examples(DataConfig(path=path)).texts == ["hello"]


def test_invalid_utf8_row_is_skipped_with_its_line_number(tmp_path):
    path = write_bytes(tmp_path / "a.csv", b"text,label\ngood,x\nbad \xff\xfe,y\nalso good,y\n")
    result = read_examples(DataConfig(path=path))
    assert result.texts == ["good", "also good"]
    assert result.report.rows_read == 3
    assert result.report.rows_skipped == 1
    assert result.report.skipped[0].line == 3
    assert "undecodable" in result.report.skipped[0].reason


def test_malformed_rows_are_skipped_counted_and_reported(tmp_path):
    text = "\n".join(
        [
            "text,label",  # 1
            "fine,a",  # 2
            "too,many,columns",  # 3
            ",b",  # 4 empty text
            "no label,",  # 5 missing label
            "x" * 50 + ",a",  # 6 too long
            "",  # 7 blank: not a row
            "last,b",  # 8
        ]
    )
    path = write(tmp_path / "a.csv", text + "\n")
    result = read_examples(DataConfig(path=path, max_text_chars=40))
    report = result.report
    assert result.texts == ["fine", "last"]
    assert (report.rows_read, report.rows_kept, report.rows_skipped) == (6, 2, 4)
    assert report.blank_lines == 1
    lines = [row.line for row in report.skipped]
    assert lines == [3, 4, 5, 6]
    reasons = [row.reason for row in report.skipped]
    assert "expected 2 columns, found 3" in reasons[0]
    assert reasons[1] == "empty text"
    assert reasons[2] == "missing label"
    assert "max_text_chars" in reasons[3]
    summary = report.summary()
    assert "rows read: 6, kept: 2, skipped: 4" in summary
    assert "skipped line 3: expected 2 columns" in summary


def test_strict_mode_raises_naming_file_and_line(tmp_path):
    path = write(tmp_path / "a.csv", "text,label\nfine,a\nbroken\n")
    with pytest.raises(DataError, match=r"a\.csv:3: expected 2 columns"):
        read_examples(DataConfig(path=path, strict=True))


def test_oversized_field_from_a_broken_quote_is_skipped_not_fatal(tmp_path):
    body = "text,label\n" + '"' + "z" * 200_000 + '",a\n' + "ok,b\n"
    path = write(tmp_path / "a.csv", body)
    result = read_examples(DataConfig(path=path))
    assert result.texts == ["ok"]
    assert result.report.skipped[0].line == 2


def test_tsv_default_treats_quotes_as_text(tmp_path):
    path = write(tmp_path / "a.tsv", 'ham\t"Hi" he said\nspam\tWin "now\n')
    result = read_examples(DataConfig(path=path, text_columns=(1,), label_column=0))
    assert result.texts == ['"Hi" he said', 'Win "now']


def test_tsv_with_minimal_quoting(tmp_path):
    path = write(tmp_path / "a.tsv", 'text\tlabel\n"tab\tinside"\tx\n')
    result = read_examples(DataConfig(path=path, quoting="minimal"))
    assert result.texts == ["tab\tinside"]


def test_custom_separator(tmp_path):
    path = write(tmp_path / "a.csv", "text;label\nhello;x\n")
    assert read_examples(DataConfig(path=path, separator=";")).texts == ["hello"]


def test_unlabeled_csv(tmp_path):
    path = write(tmp_path / "a.csv", "text\nfirst\nsecond\n")
    result = read_examples(DataConfig(path=path, label_column=None))
    assert result.texts == ["first", "second"]
    assert result.labels is None
    assert result.label_vocabulary is None


def test_max_rows_counts_kept_rows(tmp_path):
    path = write(tmp_path / "a.csv", "text,label\n,a\nr1,a\nr2,b\nr3,a\nr4,b\n")
    result = read_examples(DataConfig(path=path, max_rows=2))
    assert result.texts == ["r1", "r2"]
    assert result.report.rows_skipped == 1
    assert result.report.truncated is True


def test_integer_labels_sort_numerically(tmp_path):
    path = write(tmp_path / "a.csv", "text,label\na,10\nb,9\nc,2\n")
    assert read_examples(DataConfig(path=path)).label_vocabulary.labels == ("2", "9", "10")


def test_label_map_and_fixed_labels(tmp_path):
    path = write(tmp_path / "a.csv", "1,a\n2,b\n3,c\n")
    config = DataConfig(
        path=path,
        text_columns=1,
        label_column=0,
        label_map={"1": "World", "2": "Sports"},
        labels=("World", "Sports"),
    )
    result = read_examples(config)
    assert result.labels == ["World", "Sports"]
    assert result.label_vocabulary.labels == ("World", "Sports")
    assert "label '3' not in label_map" in result.report.skipped[0].reason


def test_unknown_column_name_is_a_config_error(tmp_path):
    path = write(tmp_path / "a.csv", "body,label\nx,a\n")
    with pytest.raises(ConfigError, match="no column 'text'"):
        read_examples(DataConfig(path=path))


def test_column_index_out_of_range_is_a_config_error(tmp_path):
    path = write(tmp_path / "a.csv", "x,a\n")
    with pytest.raises(ConfigError, match="out of range"):
        read_examples(DataConfig(path=path, text_columns=5, label_column=0))


def test_missing_file_is_a_data_error(tmp_path):
    with pytest.raises(DataError, match="no such file"):
        read_examples(DataConfig(path=str(tmp_path / "absent.csv")))


def test_no_kept_rows_is_a_data_error_with_the_report(tmp_path):
    path = write(tmp_path / "a.csv", "text,label\n,a\n")
    with pytest.raises(DataError, match="no examples kept"):
        read_examples(DataConfig(path=path))


def test_a_malformed_first_row_does_not_set_the_width(tmp_path):
    path = write(tmp_path / "a.csv", "a,only two\nx,good one,1\ny,good two,0\n")
    result = read_examples(DataConfig(path=path, text_columns=1, label_column=2))
    assert result.texts == ["good one", "good two"]
    assert result.report.skipped == [(1, "expected 3 columns, found 2")]


def test_empty_file_is_a_data_error(tmp_path):
    path = write(tmp_path / "a.csv", "")
    with pytest.raises(DataError, match="no examples kept"):
        read_examples(DataConfig(path=path))


def test_missing_label_column_hints_at_no_labels(tmp_path):
    path = write(tmp_path / "a.csv", "text\nx\n")
    with pytest.raises(ConfigError, match="--no-labels"):
        read_examples(DataConfig(path=path))


def test_undecodable_rows_end_with_an_encoding_hint(tmp_path):
    path = write_bytes(tmp_path / "a.csv", b"text,label\ncaf\xe9,x\ngood,y\nalso good,x\n")
    report = read_examples(DataConfig(path=path)).report
    assert report.undecodable == 1
    # The hint follows the list of skipped rows.
    assert (
        "  skipped line 2: undecodable bytes (not valid utf-8)\n"
        "hint: 1 of 3 rows are not valid utf-8; if the source is in another encoding, "
        "try --encoding latin-1 (or cp1252)\n"
    ) in report.summary()


def test_no_hint_without_undecodable_rows(tmp_path):
    path = write(tmp_path / "a.csv", "text,label\nok,x\nbroken\n")
    assert "hint:" not in read_examples(DataConfig(path=path)).report.summary()


def test_strict_undecodable_row_error_names_the_encoding_flag(tmp_path):
    path = write_bytes(tmp_path / "a.csv", b"text,label\ngood,y\ncaf\xe9,x\n")
    with pytest.raises(DataError) as error:
        read_examples(DataConfig(path=path, strict=True))
    assert str(error.value) == (
        f"{path}:3: undecodable bytes (not valid utf-8); try --encoding latin-1 (or cp1252) "
        "(strict mode; drop --strict to skip such rows)"
    )


def test_undecodable_label_is_counted_as_an_encoding_problem(tmp_path):
    path = write_bytes(tmp_path / "a.csv", b"text,label\ngood,y\nfine,caf\xe9\nok,y\n")
    report = read_examples(DataConfig(path=path)).report
    assert report.skipped[0].reason == "undecodable bytes (in the label: not valid utf-8)"
    assert report.undecodable == 1


def test_mostly_undecodable_rows_are_an_encoding_error_not_a_label_puzzle(tmp_path):
    # Two of three rows are Latin-1: the one left would train a one-class model.
    data = "text,label\ncafé crème,pos\nnaïve film,neg\nplain text,pos\n".encode("latin-1")
    path = write_bytes(tmp_path / "a.csv", data)
    with pytest.raises(DataError) as error:
        read_examples(DataConfig(path=path))
    first_line = str(error.value).splitlines()[0]
    assert first_line == (
        f"{path}: the encoding looks wrong: 2 of 3 rows are not valid utf-8; if the source is "
        "in another encoding, try --encoding latin-1 (or cp1252)"
    )
    assert read_examples(DataConfig(path=path, encoding="latin-1")).report.rows_kept == 3


def test_every_row_undecodable_talks_about_the_encoding(tmp_path):
    path = write_bytes(tmp_path / "a.csv", "text,label\ncafé,a\nnaïf,b\n".encode("latin-1"))
    with pytest.raises(DataError, match=r"the encoding looks wrong: 2 of 2 rows are not valid"):
        read_examples(DataConfig(path=path))


def test_other_encodings_suggest_utf8(tmp_path):
    path = write_bytes(tmp_path / "a.csv", "text,label\nok,a\nnaïf,b\nfine,a\n".encode())
    summary = read_examples(DataConfig(path=path, encoding="ascii")).report.summary()
    assert (
        "rows are not valid ascii; if the source is in another encoding, try --encoding "
        "utf-8 (or latin-1)" in summary
    )


# The user's file: line 4 opens a quote that never closes properly.
BROKEN_QUOTE = (
    "text,label\n"  # 1
    "good film,pos\n"  # 2
    "bad film,neg\n"  # 3
    '"unterminated quote,neg\n'  # 4
    "fine movie,pos\n"  # 5
    "awful movie,neg\n"  # 6
    '"ok, quoted",pos\n'  # 7
    "last one,neg\n"  # 8
)


def test_unterminated_quote_skips_its_line_only_and_names_it(tmp_path):
    path = write(tmp_path / "a.csv", BROKEN_QUOTE)
    result = read_examples(DataConfig(path=path))
    assert result.texts == [
        "good film",
        "bad film",
        "fine movie",
        "awful movie",
        "ok, quoted",
        "last one",
    ]
    assert (result.report.rows_read, result.report.rows_kept) == (7, 6)
    assert result.report.skipped == [
        (
            4,
            "unterminated quote: the quoted field opened on this line does not close "
            "cleanly (',' expected after '\"' on line 7)",
        )
    ]


def test_unterminated_quote_running_to_the_end_of_the_file(tmp_path):
    path = write(tmp_path / "a.csv", 'text,label\ngood,pos\n"open,neg\nmore,pos\nlast,neg\n')
    result = read_examples(DataConfig(path=path))
    assert result.texts == ["good", "more", "last"]
    assert result.report.skipped == [
        (3, "unterminated quote: the quoted field opened on this line runs to the end of the file")
    ]


def test_unterminated_quote_on_the_last_line(tmp_path):
    path = write(tmp_path / "a.csv", 'text,label\ngood,pos\n"open,neg')
    result = read_examples(DataConfig(path=path))
    assert result.texts == ["good"]
    assert result.report.skipped[0].line == 3
    assert result.report.skipped[0].reason.startswith("unterminated quote")


def test_unterminated_quote_is_an_error_in_strict_mode(tmp_path):
    path = write(tmp_path / "a.csv", BROKEN_QUOTE)
    with pytest.raises(DataError, match=r"a\.csv:4: unterminated quote: the quoted field opened"):
        read_examples(DataConfig(path=path, strict=True))


def test_two_unterminated_quotes_each_cost_one_line(tmp_path):
    text = 'text,label\n"one,a\nok,b\n"two,a\nfine,b\n"three, quoted",a\n'
    result = read_examples(DataConfig(path=write(tmp_path / "a.csv", text)))
    assert result.texts == ["ok", "fine", "three, quoted"]
    assert [row.line for row in result.report.skipped] == [2, 4]


def test_stray_quote_inside_a_one_line_field_is_still_read_leniently(tmp_path):
    path = write(tmp_path / "a.csv", 'text,label\n"Great" movie,pos\nok,neg\n')
    assert read_examples(DataConfig(path=path)).texts == ["Great movie", "ok"]


def test_valid_multiline_fields_are_not_mistaken_for_broken_quotes(tmp_path):
    text = 'text,label\n"first line\nsecond, line",pos\n"a ""quote""\nhere",neg\n'
    result = read_examples(DataConfig(path=write(tmp_path / "a.csv", text)))
    assert result.texts == ["first line\nsecond, line", 'a "quote"\nhere']
    assert result.report.rows_skipped == 0


def test_a_multiline_record_of_the_wrong_width_names_its_span(tmp_path):
    # The quote closes cleanly at the end of line 3, so the csv module sees one odd record.
    text = 'text,label\n"open,a\nclosed"\nok,b\n'
    result = read_examples(DataConfig(path=write(tmp_path / "a.csv", text)))
    assert result.texts == ["ok"]
    assert result.report.skipped == [
        (2, "expected 2 columns, found 1 (one record over lines 2-3: an unterminated quote?)")
    ]
