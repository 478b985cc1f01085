"""One folder per class -> examples (the Keras `text_dataset_from_directory` layout).

`path/<class name>/**/<file>`, one example a file; the class names are the
subfolder names in sorted order. Unlike Keras, which reads only `*.txt`,
every file that is not hidden is read by default: the classic corpora of
this layout (20 Newsgroups, Reuters) name their files without an extension.
`file_suffix=".txt"` gives Keras' rule. Files left out (hidden ones, ones
without the suffix, ones outside any class folder) are counted in the report,
so that no file vanishes without a word.
"""

import os

from tfcharnlp.errors import DataError


def _is_hidden(name):
    return name.startswith(".")


_HIDDEN_FOLDERS = "hidden folders (name starts with '.')"
_HIDDEN_FILES = "hidden files (name starts with '.')"


def _class_files(folder, file_suffix, report):
    """The files under one class folder, sorted; what is left out is counted in `report`."""
    found = []
    for root, dirs, files in os.walk(folder, followlinks=True):
        hidden_dirs = [name for name in dirs if _is_hidden(name)]
        if hidden_dirs:
            report.ignore(_HIDDEN_FOLDERS, len(hidden_dirs))
        dirs[:] = sorted(name for name in dirs if not _is_hidden(name))
        for name in sorted(files):
            if _is_hidden(name):
                report.ignore(_HIDDEN_FILES)
            elif file_suffix and not name.lower().endswith(file_suffix.lower()):
                report.ignore(f"files not ending in {file_suffix!r} (--file-suffix)")
            else:
                found.append(os.path.join(root, name))
    return found


def read_directory(config, path, collector):
    """Reads every file under each class folder (or those ending in `file_suffix`)."""
    report = collector.report
    classes = []
    for entry in sorted(os.scandir(path), key=lambda entry: entry.name):
        if _is_hidden(entry.name):
            report.ignore(_HIDDEN_FOLDERS if entry.is_dir() else _HIDDEN_FILES)
        elif entry.is_dir():
            classes.append(entry.name)
        else:
            report.ignore("files beside the class folders (not in any class)")
    if not classes:
        raise DataError(f"{path}: no class subfolders (expected <path>/<class>/<files>)")
    # Every class folder is a class, even an empty one, as in Keras.
    collector.declared_labels = classes
    for label in classes:
        for file_path in _class_files(os.path.join(path, label), config.file_suffix, report):
            if collector.full:
                report.truncated = True
                return
            relative = os.path.relpath(file_path, path)
            with open(file_path, "rb") as file:
                data = file.read()
            try:
                text = data.decode(config.encoding)
            except UnicodeDecodeError as error:
                detail = f"{error.reason} at byte {error.start}: "
                collector.skip_undecodable(None, detail, where=relative)
                continue
            # A file has no line number; the reason of a skipped file names it instead.
            collector.add(None, text, label, where=relative)
