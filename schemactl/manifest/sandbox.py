"""The Jinja2 environment manifests render in: no file access, no Python internals, bounded work.

Jinja2's immutable sandbox already refuses private attributes (`__class__`, `__globals__`, …),
sandboxes `str.format`, caps `range()` and forbids changing lists and dicts in place. On top of
it, this environment sends every loop, call, lookup, operator, filter, literal, `~` and piece of
output through the render's Guard (template_limits.py), and render.py refuses the tags that
would read other files (`include`, `import`, `extends`) before compiling.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from typing import Any

from jinja2 import StrictUndefined, nodes, pass_context, pass_eval_context
from jinja2.runtime import Context, LoopContext, markup_join, str_join
from jinja2.sandbox import MAX_RANGE, ImmutableSandboxedEnvironment
from jinja2.utils import Namespace
from jinja2.visitor import NodeTransformer

from schemactl.manifest.template_limits import (
    FILTER_CHECKS,
    MAX_CALL_DEPTH,
    MAX_INT_BITS,
    MAX_VALUE_SIZE,
    Guard,
    TemplateLimitError,
    check_method,
    printf_widths,
    too_large,
)

LOOP_FILTER = "_schemactl_loop"
VALUE_FILTER = "_schemactl_value"
CONCAT_FILTER = "_schemactl_concat"
# Tags that would read another file; the environment has no loader, and render.py refuses them
# by name before compiling.
FILE_TAGS: dict[type[nodes.Node], str] = {
    nodes.Extends: "extends",
    nodes.Include: "include",
    nodes.Import: "import",
    nodes.FromImport: "from … import",
}


def _range(*args: int) -> range:
    """range(), refusing more than MAX_RANGE numbers as Jinja2's sandbox does, in our words."""
    numbers = range(*args)
    try:
        count = len(numbers)
    except OverflowError:
        count = MAX_RANGE + 1
    if count > MAX_RANGE:
        raise TemplateLimitError(f"template asks range() for more than {MAX_RANGE:,} numbers")
    return numbers


class _Namespace(Namespace):
    """`namespace()` whose printed form does not show its contents.

    Its attributes can be reassigned after it was put in a list, so a list's checked size would
    not bound what printing the namespace produces.
    """

    def __repr__(self) -> str:
        return "<namespace>"


def _guarded_filter(guard: Guard, name: str, func: Callable[..., Any]) -> Callable[..., Any]:
    """`func` with its arguments and result size-checked; keeps its pass_context-style marker."""
    skip = 1 if getattr(func, "jinja_pass_arg", None) is not None else 0
    check = FILTER_CHECKS.get(name)
    signature = _user_signature(func) if check else None
    what = f"filter '{name}'"

    @functools.wraps(func)
    def guarded(*args: Any, **kwargs: Any) -> Any:
        guard.spend()
        head, given = args[:skip], args[skip:]
        guard.check_all([*given, *kwargs.values()], what)
        if check is not None and signature is not None:
            try:
                bound = signature.bind(*given, **kwargs)
            except TypeError:
                pass  # the filter reports its own argument error
            else:
                check(guard, bound.arguments)
                args, kwargs = (*head, *bound.args), bound.kwargs
        return guard.check(func(*args, **kwargs), what)

    return guarded


def _user_signature(func: Callable[..., Any]) -> inspect.Signature:
    """The parameters a template passes to a filter: without the context Jinja passes first.

    Jinja's async-aware wrappers ask for the evaluation context even when the filter does not.
    """
    inner = inspect.unwrap(func)
    parameters = list(inspect.signature(inner).parameters.values())
    if getattr(inner, "jinja_pass_arg", None) is not None:
        parameters = parameters[1:]
    return inspect.Signature(parameters)


# --- the environment --------------------------------------------------------------------------


class GuardedEnvironment(ImmutableSandboxedEnvironment):
    """Jinja2's immutable sandbox with the limits of one render (see the module docstring)."""

    intercepted_binops = frozenset({"*", "**", "+", "%"})

    def __init__(self, guard: Guard) -> None:
        @pass_context
        def finalize(_context: Context, value: Any) -> str:
            guard.check(value, "text output")
            text = value if isinstance(value, str) else str(value)
            guard.produced(len(text))
            return text

        @pass_eval_context
        def concat(eval_ctx: Any, parts: list[Any]) -> str:
            guard.check_all(parts, "'~'")
            return markup_join(parts) if eval_ctx.autoescape else str_join(parts)

        super().__init__(
            undefined=StrictUndefined,
            keep_trailing_newline=True,
            autoescape=False,
            finalize=finalize,
        )
        self.guard = guard
        # lipsum() makes random text of any length: nothing a manifest needs.
        self.globals.pop("lipsum", None)
        self.globals["namespace"] = _Namespace
        self.globals["range"] = _range
        self.filters = {
            name: _guarded_filter(guard, name, func) for name, func in self.filters.items()
        }
        self.filters[LOOP_FILTER] = pass_context(lambda _context, value: guard.counting(value))
        self.filters[VALUE_FILTER] = pass_context(
            lambda _context, value: guard.check(value, "a list, tuple or dict")
        )
        self.filters[CONCAT_FILTER] = concat

    def getattr(self, obj: Any, attribute: str) -> Any:
        self.guard.spend()
        return super().getattr(obj, attribute)

    def getitem(self, obj: Any, argument: Any) -> Any:
        self.guard.spend()
        return super().getitem(obj, argument)

    def call_binop(self, context: Context, operator: str, left: Any, right: Any) -> Any:
        guard = self.guard
        guard.spend()
        what = f"'{operator}'"
        if operator == "**" and isinstance(left, int) and isinstance(right, int):
            if right > 0 and abs(left) > 1 and abs(left).bit_length() * right > MAX_INT_BITS:
                raise TemplateLimitError(f"template computes a number of over {MAX_INT_BITS} bits")
        elif operator == "*" and isinstance(left, int) and isinstance(right, int):
            if abs(left).bit_length() + abs(right).bit_length() > MAX_INT_BITS:
                raise TemplateLimitError(f"template computes a number of over {MAX_INT_BITS} bits")
        elif operator == "*":
            sequence, times = (left, right) if isinstance(right, int) else (right, left)
            repeated = isinstance(sequence, str | bytes | list | tuple) and isinstance(times, int)
            if repeated and times > 0 and (guard.size(sequence) - 2) * times > MAX_VALUE_SIZE:
                raise too_large(what)
        elif operator == "+" and not isinstance(left, int | float):
            guard.check_all([left, right], what)
        elif operator == "%" and isinstance(left, str | bytes):
            text = left if isinstance(left, str) else left.decode("latin-1")
            if len(left) + printf_widths(text) + guard.size(right) > MAX_VALUE_SIZE:
                raise too_large(what)
        return super().call_binop(context, operator, left, right)

    def call(__self, __context: Context, __obj: Any, *args: Any, **kwargs: Any) -> Any:
        guard = __self.guard
        guard.spend()
        guard.check_all([*args, *kwargs.values()], "call arguments")
        target = getattr(__obj, "__wrapped__", __obj)  # the sandbox wraps str.format
        owner = getattr(target, "__self__", None)
        if isinstance(owner, str | bytes | int):
            args = check_method(guard, owner, getattr(target, "__name__", ""), args, kwargs)
        if isinstance(__obj, LoopContext) and args:  # `loop(children)` in a recursive loop
            args = (guard.counting(args[0]), *args[1:])
        guard.depth += 1
        try:
            if guard.depth > MAX_CALL_DEPTH:
                raise TemplateLimitError(
                    f"template calls nest more than {MAX_CALL_DEPTH} deep "
                    "(a macro calling itself without end?)"
                )
            result = super().call(__context, __obj, *args, **kwargs)
        finally:
            guard.depth -= 1
        return guard.check(result, "call result")


class Instrument(NodeTransformer):
    """Rewrites a parsed template so that its loops, literals, `~` and text go through the guard."""

    def visit_For(self, node: nodes.For) -> nodes.Node:
        node = self.generic_visit(node)
        node.iter = _internal(LOOP_FILTER, node.iter)
        return node

    def visit_TemplateData(self, node: nodes.TemplateData) -> nodes.Node:
        # Constant text is otherwise joined at compile time and never counted when repeated.
        # Template text is never escaped, even inside {% autoescape true %}.
        text = nodes.Const(node.data, lineno=node.lineno)
        return nodes.MarkSafeIfAutoescape(text, lineno=node.lineno)

    def visit_List(self, node: nodes.List) -> nodes.Node:
        return _internal(VALUE_FILTER, self.generic_visit(node))

    def visit_Dict(self, node: nodes.Dict) -> nodes.Node:
        return _internal(VALUE_FILTER, self.generic_visit(node))

    def visit_Tuple(self, node: nodes.Tuple) -> nodes.Node:
        node = self.generic_visit(node)
        return _internal(VALUE_FILTER, node) if node.ctx == "load" else node

    def visit_Concat(self, node: nodes.Concat) -> nodes.Node:
        node = self.generic_visit(node)
        return _internal(CONCAT_FILTER, nodes.List(node.nodes, lineno=node.lineno))


def _internal(name: str, node: nodes.Expr) -> nodes.Filter:
    return nodes.Filter(node, name, [], [], None, None, lineno=node.lineno)


__all__ = [
    "FILE_TAGS",
    "GuardedEnvironment",
    "Instrument",
]
