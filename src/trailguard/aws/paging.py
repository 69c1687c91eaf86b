"""Reading every page of a paginated AWS API, safely against endpoints that never stop.

botocore's paginators raise on a repeated token; an audit must instead keep what it read and say so. moto's
``logs.describe_metric_filters`` echoes the token it was given, so a naive loop never ends there.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

__all__ = ["read_all_pages"]


def read_all_pages(
    read_page: Callable[[str | None], dict[str, Any]],
    token_key: str,
    *,
    on_repeated_token: Callable[[str], None] | None = None,
    until: Callable[[dict[str, Any]], bool] | None = None,
) -> list[dict[str, Any]]:
    """Every page ``read_page(token)`` returns, starting with ``token=None``, in order.

    Paging stops when a page has no ``token_key`` (or an empty one), when ``until(page)`` is true, or when
    the endpoint hands back a token already sent (then ``on_repeated_token(token)`` is told, and the page
    that token would fetch again is not read twice).
    """
    pages: list[dict[str, Any]] = []
    sent: set[str] = set()
    token: str | None = None
    while True:
        page = read_page(token)
        pages.append(page)
        if until is not None and until(page):
            return pages
        next_token = page.get(token_key)
        if not next_token:
            return pages
        if next_token in sent:
            if on_repeated_token is not None:
                on_repeated_token(str(next_token))
            return pages
        sent.add(str(next_token))
        token = str(next_token)
