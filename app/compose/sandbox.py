"""The sandbox for admin-added templates: Jinja's immutable sandbox plus size and time limits.

Jinja's sandbox stops attribute escapes (`cycler.__init__.__globals__`) but not resource abuse such as
`'a' * 10**7` or `2**2**20`. Single C-level operations that could build a huge value are checked before
they run (binary operators, a few filters, expanding string methods are refused); Python-level loops are
bounded by a wall-clock deadline enforced with a per-thread trace function; the output is streamed and cut
off at a maximum size.
"""

from __future__ import annotations

import operator
import re
import sys
import time
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from jinja2 import Template, filters, nodes
from jinja2.compiler import CodeGenerator, Frame
from jinja2.sandbox import ImmutableSandboxedEnvironment

from app.compose.errors import TemplateLimitExceeded

MAX_VALUE_CHARS = 200_000  # largest string or list one expression may build
MAX_OUTPUT_CHARS = 500_000  # largest rendered part
MAX_INT_BITS = 4_096  # largest integer an expression may build
TIME_LIMIT_SECONDS = 2.0

# String methods that expand their input in one C call; the filters below offer checked equivalents.
_EXPANDING_STR_METHODS = frozenset(
    {"ljust", "rjust", "center", "zfill", "expandtabs", "format", "format_map", "replace", "join"}
    | {"translate"}
)
_BIG_PRINTF_FIELD = re.compile(r"%[-#0 +]*(\*|\d{4,})|%[-#0 +]*\d*\.(\*|\d{4,})")
_BIG_FORMAT_FIELD = re.compile(r"\{[^{}]*:[^{}]*(\*|\d{4,})[^{}]*\}")
_BINOPS: dict[str, Callable[[Any, Any], Any]] = {
    "*": operator.mul,
    "**": operator.pow,
    "%": operator.mod,
    "+": operator.add,
    "//": operator.floordiv,
}


class _Deadline(BaseException):
    """Raised inside the render when its time is up (BaseException so no `except Exception` eats it)."""


def _too_big(what: str) -> TemplateLimitExceeded:
    return TemplateLimitExceeded(f"The template builds a value that is too large ({what}).")


def _size(value: Any) -> int | None:
    return len(value) if isinstance(value, str | bytes | list | tuple) else None


def _is_int(value: Any) -> bool:
    return isinstance(value, int)


def check_binop(op: str, left: Any, right: Any) -> None:
    """Refuse an operation whose result would exceed the limits, before computing it."""
    lsize, rsize = _size(left), _size(right)
    if op == "*":
        if lsize is not None and _is_int(right) and lsize * max(right, 0) > MAX_VALUE_CHARS:
            raise _too_big("repetition")
        if rsize is not None and _is_int(left) and rsize * max(left, 0) > MAX_VALUE_CHARS:
            raise _too_big("repetition")
        if _is_int(left) and _is_int(right) and left.bit_length() + right.bit_length() > MAX_INT_BITS:
            raise _too_big("multiplication")
    elif op == "**" and _is_int(left) and _is_int(right):
        if right > 0 and abs(left) > 1 and left.bit_length() * right > MAX_INT_BITS:
            raise _too_big("power")
    elif op == "+" and lsize is not None and rsize is not None and lsize + rsize > MAX_VALUE_CHARS:
        raise _too_big("concatenation")
    elif op == "%" and isinstance(left, str) and _BIG_PRINTF_FIELD.search(left):
        raise _too_big("format width")


def _checked_center(value: Any, width: int = 80) -> str:
    if int(width) > MAX_VALUE_CHARS:
        raise _too_big("center")
    return filters.do_center(value, width)


def _checked_indent(value: Any, width: int | str = 4, first: bool = False, blank: bool = False) -> Any:
    if (len(width) if isinstance(width, str) else int(width)) > 100:
        raise _too_big("indent")
    return filters.do_indent(value, width, first, blank)


def _checked_replace(ctx: Any, value: Any, old: str, new: str, count: int | None = None) -> Any:
    text, old_s, new_s = str(value), str(old), str(new)
    worst = (len(text) // max(len(old_s), 1) + 1) * len(new_s) + len(text)
    if worst > MAX_VALUE_CHARS:
        raise _too_big("replace")
    return filters.do_replace(ctx, value, old, new, count)


def _checked_format(value: str, *args: Any, **kwargs: Any) -> str:
    if _BIG_PRINTF_FIELD.search(str(value)):
        raise _too_big("format width")
    return filters.do_format(value, *args, **kwargs)


def _checked_join(ctx: Any, value: Iterable[Any], d: str = "", attribute: Any = None) -> str:
    items = list(value)
    if len(items) * len(str(d)) + sum(len(str(item)) for item in items) > MAX_VALUE_CHARS:
        raise _too_big("join")
    return filters.do_join(ctx, items, d, attribute)


def _checked_batch(value: Any, linecount: int, fill_with: Any = None) -> Any:
    if int(linecount) > 10_000:
        raise _too_big("batch")
    return filters.do_batch(value, linecount, fill_with)


# The wrapped filters keep Jinja's pass-context markers so they receive the eval context as before.
_checked_replace.jinja_pass_arg = filters.do_replace.jinja_pass_arg  # type: ignore[attr-defined]
_checked_join.jinja_pass_arg = filters.do_join.jinja_pass_arg  # type: ignore[attr-defined]

CHECKED_FILTERS = {
    "center": _checked_center,
    "indent": _checked_indent,
    "replace": _checked_replace,
    "format": _checked_format,
    "join": _checked_join,
    "batch": _checked_batch,
}


def checked_parts(parts: tuple[Any, ...]) -> tuple[Any, ...]:
    """Refuse a `~` concatenation whose result would be too large, before joining."""
    total = sum(len(p) if isinstance(p, str) else len(str(p)) for p in parts)
    if total > MAX_VALUE_CHARS:
        raise _too_big("concatenation")
    return parts


class _LimitedCodeGenerator(CodeGenerator):
    """Route `~` through checked_parts: Jinja compiles it to a join the environment cannot intercept."""

    def visit_Concat(self, node: nodes.Concat, frame: Frame) -> None:  # noqa: N802 - Jinja visitor name
        join = "markup_join" if frame.eval_ctx.autoescape else "str_join"
        if frame.eval_ctx.volatile:
            join = "(markup_join if context.eval_ctx.volatile else str_join)"
        self.write(f"{join}(environment.checked_parts((")
        for arg in node.nodes:
            self.visit(arg, frame)
            self.write(", ")
        self.write(")))")


class LimitedSandbox(ImmutableSandboxedEnvironment):
    """Immutable sandbox whose risky operators, filters and string methods are size-checked."""

    intercepted_binops = frozenset(_BINOPS)
    code_generator_class = _LimitedCodeGenerator
    checked_parts = staticmethod(checked_parts)

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.filters.update(CHECKED_FILTERS)
        self.globals.pop("lipsum", None)

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        """Check the size of the result before performing an intercepted operator."""
        check_binop(operator, left, right)
        return _BINOPS[operator](left, right)

    def getattr(self, obj: Any, attribute: str) -> Any:
        """Refuse string methods that expand text in one C call (their filters are checked instead)."""
        if isinstance(obj, str) and attribute in _EXPANDING_STR_METHODS:
            return self.unsafe_undefined(obj, attribute)
        return super().getattr(obj, attribute)

    def getitem(self, obj: Any, argument: Any) -> Any:
        """`s['format']` reaches the same methods as `s.format`."""
        if isinstance(obj, str) and isinstance(argument, str) and argument in _EXPANDING_STR_METHODS:
            return self.unsafe_undefined(obj, argument)
        return super().getitem(obj, argument)


def _tracer(deadline: float) -> Callable[..., Any]:
    def trace(frame: Any, event: str, arg: Any) -> Any:
        if time.monotonic() > deadline:
            raise _Deadline
        return trace

    return trace


def render_limited(template: Template, context: Mapping[str, Any], *, name: str) -> str:
    """Render with the time and output limits; limit breaches become TemplateLimitExceeded."""
    previous = sys.gettrace()
    sys.settrace(_tracer(time.monotonic() + TIME_LIMIT_SECONDS))
    try:
        out: list[str] = []
        size = 0
        for chunk in template.generate(context):
            size += len(chunk)
            if size > MAX_OUTPUT_CHARS:
                message = f"Template {name} produces more than {MAX_OUTPUT_CHARS} characters."
                raise TemplateLimitExceeded(message)
            out.append(chunk)
        return "".join(out)
    except _Deadline:
        raise TemplateLimitExceeded(
            f"Template {name} took longer than {TIME_LIMIT_SECONDS:g} seconds to render."
        ) from None
    finally:
        sys.settrace(previous)
