"""Validation of POST /execute bodies; every rejection says what to change."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from limits import FIELDS_BY_JSON_NAME

MAX_BODY_BYTES = 2 * 1024 * 1024
DEFAULT_WORKSPACE = "default"
WORKSPACE_NAME = re.compile(r"[A-Za-z0-9_-][A-Za-z0-9._-]{0,99}")
REQUEST_FIELDS = ("code", "args", "argv", "limits", "workspace", "network")


class BadRequest(Exception):
    """The body cannot be executed as sent; the message is returned to the caller."""


@dataclass(frozen=True)
class ExecuteRequest:
    code: str
    args: Any
    argv: list[str] | None
    limits: dict[str, int]
    workspace: str
    network: bool


def parse_execute_request(body: bytes) -> ExecuteRequest:
    try:
        data = json.loads(body)
    except ValueError as error:
        raise BadRequest(f"body is not valid JSON: {error}") from None
    except RecursionError:
        raise BadRequest("body is nested too deeply") from None
    if not isinstance(data, dict):
        raise BadRequest(f"body must be a JSON object, got {_json_type(data)}")
    unknown = sorted(set(data) - set(REQUEST_FIELDS))
    if unknown:
        allowed = ", ".join(REQUEST_FIELDS)
        raise BadRequest(f"unknown field(s) {', '.join(unknown)}; allowed: {allowed}")
    code = data.get("code")
    if not isinstance(code, str) or not code.strip():
        raise BadRequest("field 'code' is required and must be a non-empty string of Python source")
    if not _is_utf8(code):
        raise BadRequest("field 'code' contains a lone UTF-16 surrogate; send valid Unicode text")
    network = data.get("network", False)
    if not isinstance(network, bool):
        raise BadRequest(f"field 'network' must be true or false, got {_json_type(network)}")
    return ExecuteRequest(
        code=code,
        args=data.get("args", {}),
        argv=_parse_argv(data.get("argv")),
        limits=_parse_limits(data.get("limits")),
        workspace=_parse_workspace(data.get("workspace")),
        network=network,
    )


def _parse_argv(value: Any) -> list[str] | None:
    if value is None:
        return None
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise BadRequest("field 'argv' must be a list of strings or null")
    if any("\0" in item or not _is_utf8(item) for item in value):
        raise BadRequest("field 'argv' items must be valid Unicode text without NUL characters")
    return value


def _parse_limits(value: Any) -> dict[str, int]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise BadRequest(f"field 'limits' must be an object, got {_json_type(value)}")
    for name, limit in value.items():
        if name not in FIELDS_BY_JSON_NAME:
            allowed = ", ".join(FIELDS_BY_JSON_NAME)
            raise BadRequest(f"unknown limit {name!r}; allowed: {allowed}")
        if isinstance(limit, bool) or not isinstance(limit, int) or limit < 1:
            raise BadRequest(f"limit {name!r} must be a positive integer, got {json.dumps(limit)}")
    return value


def _parse_workspace(value: Any) -> str:
    if value is None:
        return DEFAULT_WORKSPACE
    if not isinstance(value, str) or not WORKSPACE_NAME.fullmatch(value):
        raise BadRequest(
            "field 'workspace' must be a single directory name of letters, digits, '.', '_' or '-'"
            f" (no '/', not starting with '.'), got {json.dumps(value)}"
        )
    return value


def _is_utf8(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


JSON_TYPE_NAMES = {bool: "a boolean", int: "a number", float: "a number", str: "a string"}


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, list):
        return "an array"
    return JSON_TYPE_NAMES.get(type(value), "an object")
