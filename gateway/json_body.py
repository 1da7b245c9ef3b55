"""A request's JSON body, read with bounds: no body nested deeper than MAX_DEPTH levels reaches a
schema, an RPC or a log line (Python's parser and every recursive walk after it would raise
RecursionError, a 500, on a few kilobytes of `[[[[…`). Refused as a 400 naming the top-level
field that holds the nesting, like any invalid field."""

from __future__ import annotations

import json

from backbone.errors import InvalidInput
from backbone.messages import msg

MAX_DEPTH = 32  # our deepest body (an order's lines, a round's stops) is 3 levels


def _depth(value) -> int:
    """Levels of objects and lists in `value` (a scalar is 0), without recursion."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, level = stack.pop()
        children = (
            item.values() if isinstance(item, dict) else item if isinstance(item, list) else None
        )
        if children is None:
            continue
        deepest = max(deepest, level)
        if level > MAX_DEPTH:
            break
        stack.extend((child, level + 1) for child in children)
    return deepest


def too_deep(field: str) -> InvalidInput:
    return InvalidInput({field: [msg("nested_too_deeply", levels=MAX_DEPTH)]})


def parse(raw: bytes):
    """The decoded JSON value; ValueError when it is not JSON, InvalidInput when nested too deep."""
    try:
        data = json.loads(raw)
    except RecursionError:  # far deeper than MAX_DEPTH: say where if the body shows it
        raise too_deep(_first_key(raw)) from None
    if isinstance(data, dict):
        for key, value in data.items():
            if _depth(value) >= MAX_DEPTH:  # the body itself is one level
                raise too_deep(key)
    elif _depth(data) > MAX_DEPTH:
        raise too_deep("_schema")
    return data


def _first_key(raw: bytes) -> str:
    """The top-level key under which the body's nesting passes MAX_DEPTH, read from the text (the
    parser gave up); `_schema` when the body is not an object or the place is
    past the first 64 KiB."""
    text = raw[:65536].decode("utf-8", errors="replace")
    depth, key, candidate, in_string, escaped, start = 0, None, None, False, False, 0
    for index, char in enumerate(text):
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
                if depth == 1:
                    candidate = text[start:index]
        elif char == '"':
            in_string, start = True, index + 1
        elif char == ":" and depth == 1:
            key = candidate
        elif char in "[{":
            depth += 1
            if depth > MAX_DEPTH + 1:
                break
        elif char in "]}":
            depth -= 1
    else:
        return "_schema"
    if not text.lstrip().startswith("{") or key is None:
        return "_schema"
    try:
        return json.loads(f'"{key}"')[:100]
    except ValueError:
        return key[:100]
