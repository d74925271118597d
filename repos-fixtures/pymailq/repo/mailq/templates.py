"""Message templates ($name placeholders, string.Template syntax).

Templates are registered at start-up from the application's template
folder (or by tests) and compiled once.
"""

from __future__ import annotations

import string
import threading

from .errors import NotFound, ValidationError


class TemplateStore:
    def __init__(self):
        self._sources: dict[str, tuple[str, str]] = {}
        self._compiled: dict[str, tuple[string.Template, string.Template]] = {}
        self._lock = threading.Lock()

    def register(self, name: str, subject: str, body: str) -> None:
        if not name or not isinstance(name, str):
            raise ValueError("template name must be a non-empty string")
        for part in (subject, body):
            # Fail at registration, not at the first send.
            if not string.Template(part).is_valid():
                raise ValueError(f"template {name!r} has a malformed placeholder")
        with self._lock:
            self._sources[name] = (subject, body)
            self._compiled.pop(name, None)

    def names(self) -> list[str]:
        with self._lock:
            return sorted(self._sources)

    def _compiled_for(self, name: str):
        with self._lock:
            compiled = self._compiled.get(name)
            if compiled is None:
                source = self._sources.get(name)
                if source is None:
                    raise NotFound(f"unknown template {name!r}")
                compiled = (string.Template(source[0]), string.Template(source[1]))
                self._compiled[name] = compiled
            return compiled

    def placeholders(self, name: str) -> set[str]:
        subject, body = self._compiled_for(name)
        return set(subject.get_identifiers()) | set(body.get_identifiers())

    def render(self, name: str, context: dict) -> tuple[str, str]:
        subject, body = self._compiled_for(name)
        missing = self.placeholders(name) - set(context)
        if missing:
            raise ValidationError(f"template {name!r} needs {', '.join(sorted(missing))}",
                                  missing=sorted(missing))
        values = {key: str(value) for key, value in context.items()}
        return subject.substitute(values), body.substitute(values)


def builtin_templates() -> TemplateStore:
    store = TemplateStore()
    store.register(
        "bounce",
        "Undelivered Mail Returned to Sender",
        "This is the mail system at host $hostname.\n\n"
        "Your message could not be delivered to one or more recipients.\n\n"
        "  Message-ID: $message_id\n  Recipients: $recipients\n"
        "  Reason: $code $reason\n",
    )
    store.register(
        "password-reset",
        "Reset your password",
        "Hello $name,\n\nUse this link to choose a new password: $link\n",
    )
    store.register(
        "welcome",
        "Welcome to $product",
        "Hello $name,\n\nYour account is ready.\n",
    )
    return store
