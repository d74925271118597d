"""Memoisation helper on top of cache regions."""

import functools


def memoize(registry_getter, region_name: str, key=None):
    """Cache a method's result in ``region_name`` of the registry returned by
    ``registry_getter(self)``.  ``key(*args, **kwargs)`` builds the cache key
    (default: the positional arguments after ``self``)."""

    def decorator(fn):
        @functools.wraps(fn)
        def wrapper(self, *args, **kwargs):
            region = registry_getter(self).region(region_name)
            cache_key = key(*args, **kwargs) if key else (fn.__name__,) + args
            return region.get_or_set(cache_key, lambda: fn(self, *args, **kwargs))

        wrapper.uncached = fn
        return wrapper

    return decorator
