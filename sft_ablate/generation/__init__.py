"""Text generation: local or OpenAI-compatible backends (backends.py is the front door) and sampling settings.

The built-in backend kinds are imported here, so that they are registered before any ``BackendConfig`` (whose
kind check asks the registry) can be built: importing schema.py imports this package first.
"""

from sft_ablate.generation import local_backend, openai  # noqa: F401  (each registers its kind)
