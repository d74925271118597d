"""Offset pagination for list endpoints."""

from ..errors import ValidationError

DEFAULT_PAGE_SIZE = 20
MAX_PAGE_SIZE = 100


def page_params(query: dict) -> tuple:
    try:
        page = int(query.get("page", 1))
        size = int(query.get("per_page", DEFAULT_PAGE_SIZE))
    except (TypeError, ValueError):
        raise ValidationError("page and per_page must be integers") from None
    if page < 1 or size < 1:
        raise ValidationError("page and per_page must be positive")
    return page, min(size, MAX_PAGE_SIZE)


def paginate(items: list, page: int, size: int) -> dict:
    start = (page - 1) * size
    chunk = items[start:start + size]
    return {
        "items": chunk,
        "page": page,
        "per_page": size,
        "total": len(items),
        "pages": (len(items) + size - 1) // size if items else 0,
    }
