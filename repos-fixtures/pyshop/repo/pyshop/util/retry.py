"""Retry helper for flaky outbound calls (mail transport, webhooks)."""


def retry(fn, *, attempts: int = 3, retry_on=(ConnectionError, TimeoutError), on_retry=None):
    """Call ``fn()`` up to ``attempts`` times; re-raise the last error."""
    if attempts < 1:
        raise ValueError("attempts must be at least 1")
    last = None
    for attempt in range(1, attempts + 1):
        try:
            return fn()
        except retry_on as exc:
            last = exc
            if on_retry is not None and attempt < attempts:
                on_retry(attempt, exc)
    raise last
