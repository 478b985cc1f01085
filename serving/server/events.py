"""Structured logs: one line per event, `event=NAME key=value ...`.

Values with spaces, quotes, backslashes or any character that is not
printable are quoted, so a line splits back into fields with `shlex.split`;
inside the quotes every control and separator character (`\\n`, `\\r`, ESC,
U+2028, ...) is written as an escape, so a value (a model name, a request's
text in an error) can never start a new line or forge another event.
"""

import logging

LOGGER = logging.getLogger("serving.server")
_NAMED_ESCAPES = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _escape(char):
    if char in _NAMED_ESCAPES:
        return _NAMED_ESCAPES[char]
    if char == " " or char.isprintable():
        return char
    code = ord(char)
    return (
        f"\\x{code:02x}"
        if code < 0x100
        else f"\\u{code:04x}"
        if code < 0x10000
        else f"\\U{code:08x}"
    )


def _format(value):
    text = str(value)
    if text and all(char.isprintable() and char not in ' "=\\' for char in text):
        return text
    return '"' + "".join(map(_escape, text)) + '"'


def format_event(event, **fields):
    parts = [f"event={_format(event)}"]
    parts.extend(f"{key}={_format(value)}" for key, value in fields.items() if value is not None)
    return " ".join(parts)


def log_event(event, level=logging.INFO, **fields):
    """Logs one event line; cheap when the level is disabled."""
    if LOGGER.isEnabledFor(level):
        LOGGER.log(level, format_event(event, **fields))
