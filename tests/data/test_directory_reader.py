"""One folder per class (the Keras text_dataset_from_directory layout)."""

import pytest

from tfcharnlp.data import DataConfig, read_examples
from tfcharnlp.errors import DataError


def make_tree(root):
    (root / "pos").mkdir(parents=True)
    (root / "neg" / "nested").mkdir(parents=True)
    (root / "empty_class").mkdir()
    (root / "pos" / "1.txt").write_text("loved it", encoding="utf-8")
    (root / "pos" / "2.txt").write_text("  ", encoding="utf-8")
    (root / "pos" / "notes.md").write_text("a file of any name is read", encoding="utf-8")
    (root / "pos" / ".notes.txt.swp").write_text("hidden: ignored", encoding="utf-8")
    (root / "neg" / ".git").mkdir()
    (root / "neg" / ".git" / "HEAD.txt").write_text("in a hidden folder", encoding="utf-8")
    (root / "neg" / "1.txt").write_text("hated it", encoding="utf-8")
    (root / "neg" / "nested" / "2.txt").write_bytes(b"bad \xff byte")
    (root / "README.txt").write_text("outside any class folder", encoding="utf-8")
    (root / ".cache").mkdir()
    return str(root)


def test_directory_per_class(tmp_path):
    path = make_tree(tmp_path / "reviews")
    result = read_examples(DataConfig(path=path))
    assert result.report.format == "directory"
    assert sorted(zip(result.texts, result.labels, strict=True)) == [
        ("a file of any name is read", "pos"),
        ("hated it", "neg"),
        ("loved it", "pos"),
    ]
    # Classes are the sorted folder names, an empty folder included, as in Keras.
    assert result.label_vocabulary.labels == ("empty_class", "neg", "pos")
    assert result.report.class_counts == {"empty_class": 0, "neg": 1, "pos": 2}
    reasons = sorted(row.reason for row in result.report.skipped)
    assert reasons[0].startswith("neg/nested/2.txt: undecodable bytes")
    assert reasons[1] == "pos/2.txt: empty text"
    assert result.report.rows_read == 5
    # Left-out files are no rows, but each is counted under its rule.
    assert result.report.ignored_files == {
        "files beside the class folders (not in any class)": 1,
        "hidden folders (name starts with '.')": 2,
        "hidden files (name starts with '.')": 1,
    }
    assert (
        "files ignored: hidden folders (name starts with '.'): 2; "
        "files beside the class folders (not in any class): 1; "
        "hidden files (name starts with '.'): 1\n"
    ) in result.report.summary()


def test_extensionless_files_are_read(tmp_path):
    # The 20 Newsgroups layout: numbered files without an extension.
    for label, names in (("sci.space", ("60001", "60002")), ("rec.autos", ("10001",))):
        (tmp_path / label).mkdir()
        for name in names:
            (tmp_path / label / name).write_text(f"post {name}", encoding="utf-8")
    result = read_examples(DataConfig(path=str(tmp_path)))
    assert result.report.rows_kept == 3
    assert result.report.class_counts == {"rec.autos": 1, "sci.space": 2}
    assert result.report.ignored_files == {}


def test_file_suffix_keeps_only_matching_files_and_counts_the_rest(tmp_path):
    path = make_tree(tmp_path / "reviews")
    result = read_examples(DataConfig(path=path, file_suffix=".txt"))
    assert "a file of any name is read" not in result.texts
    assert result.report.ignored_files["files not ending in '.txt' (--file-suffix)"] == 1
    assert "files not ending in '.txt' (--file-suffix): 1" in result.report.summary()


def test_every_file_ignored_names_the_rule_and_the_flag(tmp_path):
    for label in ("a", "b"):
        (tmp_path / label).mkdir()
        (tmp_path / label / "post").write_text("text", encoding="utf-8")
    with pytest.raises(DataError) as error:
        read_examples(DataConfig(path=str(tmp_path), file_suffix=".txt"))
    message = str(error.value)
    assert "every file was ignored" in message
    assert "files ignored: files not ending in '.txt' (--file-suffix): 2" in message


def test_undecodable_files_end_with_an_encoding_hint(tmp_path):
    for label, data in (("a", b"plain"), ("b", b"also plain"), ("c", b"caf\xe9")):
        (tmp_path / label).mkdir()
        (tmp_path / label / "post").write_bytes(data)
    summary = read_examples(DataConfig(path=str(tmp_path))).report.summary()
    assert (
        "skipped file: c/post: undecodable bytes (unexpected end of data at byte 3: "
        "not valid utf-8)\n"
        "hint: 1 of 3 rows are not valid utf-8; if the source is in another encoding, "
        "try --encoding latin-1 (or cp1252)\n"
    ) in summary


def test_directory_strict_names_the_file(tmp_path):
    path = make_tree(tmp_path / "reviews")
    with pytest.raises(DataError, match="neg/nested/2.txt: undecodable"):
        read_examples(DataConfig(path=path, strict=True))


def test_directory_without_class_folders(tmp_path):
    (tmp_path / "flat").mkdir()
    (tmp_path / "flat" / "a.txt").write_text("x", encoding="utf-8")
    with pytest.raises(DataError, match="no class subfolders"):
        read_examples(DataConfig(path=str(tmp_path / "flat")))


def test_directory_with_label_map(tmp_path):
    for folder, text in (("0", "bad"), ("1", "good")):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "a.txt").write_text(text, encoding="utf-8")
    result = read_examples(DataConfig(path=str(tmp_path), label_map={"0": "neg", "1": "pos"}))
    assert result.labels == ["neg", "pos"]
    assert result.label_vocabulary.labels == ("neg", "pos")
