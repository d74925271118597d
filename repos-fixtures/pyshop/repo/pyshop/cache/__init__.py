from .registry import CacheRegion, CacheRegistry

__all__ = ["CacheRegion", "CacheRegistry"]
