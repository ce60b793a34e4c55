"""The errors a user can fix. The CLI prints their message alone (no traceback) and exits with 2."""


class SftAblateError(Exception):
    """Base class: something in the user's config, data or environment is wrong."""


class ConfigError(SftAblateError):
    """The composed config is invalid."""


class DataError(SftAblateError):
    """A data file or row is unusable. The message names the file, the line and the problem."""


class ModelError(SftAblateError):
    """A model, tokenizer or chat template cannot be used as configured."""


class EnvironmentProblem(SftAblateError):
    """The machine lacks something the config asks for (a GPU, a package, a writable dir)."""


class BackendError(SftAblateError):
    """A generation backend failed in a way retries cannot fix (bad key, unknown model, server gone)."""
