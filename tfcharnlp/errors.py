"""The exceptions tfcharnlp raises on purpose.

Every error a user can cause (a bad config, a malformed file, an unknown
model) is one of these, so callers can catch the family or one member.
"""


class TfcharnlpError(Exception):
    """Base class of every error raised on purpose by tfcharnlp."""


class ConfigError(TfcharnlpError, ValueError):
    """A configuration value is missing, unknown or inconsistent.

    The message names the field, so the user knows what to change.
    """

    def __init__(self, field, message):
        self.field = field
        self.message = message
        super().__init__(f"{field}: {message}")

    def renamed(self, field):
        """The same error reported under another field name (e.g. `data.` + its field)."""
        return ConfigError(field, self.message)


class DataError(TfcharnlpError, ValueError):
    """Input data cannot be read as configured (missing file, bad row in strict mode)."""


class OfflineError(DataError):
    """A remote data set was asked for and the network is not reachable."""


class ExportError(TfcharnlpError):
    """A model could not be exported or a model repository is inconsistent."""
