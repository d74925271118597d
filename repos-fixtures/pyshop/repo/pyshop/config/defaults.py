"""Process-wide settings for scripts that do not build an Application.

Legacy: ``configure()`` mutates the module global; new code should pass a
``Settings`` instance around instead.
"""

from .settings import Settings

CURRENT = Settings()


def get_settings() -> Settings:
    return CURRENT


def configure(**changes) -> Settings:
    global CURRENT
    CURRENT = CURRENT.with_overrides(**changes)
    return CURRENT


def reset() -> None:
    global CURRENT
    CURRENT = Settings()
