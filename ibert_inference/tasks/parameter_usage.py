"""What a function's parameters are, read from how its body uses them (never by running it).

A parameter whose methods are Ibis table verbs is a table (``orders.filter(...)`` is "Table to
filter"); one compared with a column is a bound or a value of that column
(``_.amount > threshold`` is "Lower bound on amount (exclusive)"); one given to ``limit`` is a
number of rows; one given to ``group_by`` names columns. The returned expression's method chain
gives the summary ("Return orders filtered to rows where amount > threshold, ...").

>>> import ast
>>> source = "def big(orders, threshold=10):\\n    return orders.filter(_.amount > threshold)"
>>> usage = describe_parameters(ast.parse(source).body[0])
>>> usage["orders"].description, usage["threshold"].description, usage["threshold"].type
('Table to filter; uses column amount (float64).', 'Lower bound on amount (exclusive).', 'int')
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field

Function = ast.FunctionDef | ast.AsyncFunctionDef

TABLE_VERBS = {
    "filter": "filter", "select": "select columns from", "group_by": "group",
    "aggregate": "aggregate", "agg": "aggregate", "mutate": "add columns to", "order_by": "sort",
    "join": "join", "inner_join": "join", "left_join": "join", "outer_join": "join",
    "limit": "take rows from", "head": "take rows from", "count": "count the rows of",
    "distinct": "deduplicate", "drop": "drop columns from", "union": "combine",
    "rename": "rename columns of", "execute": "execute", "to_pandas": "execute",
}  # fmt: skip
_REDUCTIONS = frozenset({"count", "sum", "mean", "max", "min", "nunique", "median"})
_COLUMN_ARGS = {"group_by": "group by", "select": "select", "order_by": "sort by",
                "drop": "drop", "distinct": "deduplicate on"}  # fmt: skip
_BOUNDS = {
    ast.Gt: "Lower bound on {col} (exclusive)", ast.GtE: "Lower bound on {col}",
    ast.Lt: "Upper bound on {col} (exclusive)", ast.LtE: "Upper bound on {col}",
    ast.Eq: "Value of {col} to keep", ast.NotEq: "Value of {col} to leave out",
}  # fmt: skip
_SHORT = {"filter": "filtered", "order_by": "sorted", "limit": "limited", "head": "limited",
          "mutate": "extended", "select": "selected"}  # fmt: skip
_PYTHON_TYPES = {"int64": "int", "float64": "float", "string": "str", "boolean": "bool",
                 "timestamp": "datetime.datetime", "date": "datetime.date"}  # fmt: skip
_FLIPPED = {ast.Gt: ast.Lt, ast.GtE: ast.LtE, ast.Lt: ast.Gt, ast.LtE: ast.GtE}
_ARITHMETIC = {ast.Mult: "Factor multiplying {col}", ast.Add: "Amount added to {col}",
               ast.Sub: "Amount subtracted from {col}", ast.Div: "Divisor of {col}"}  # fmt: skip


@dataclass
class ParameterUsage:
    """One parameter: what it is (table, scalar, columns, count), described, with its type."""

    name: str
    kind: str = "unknown"
    description: str = ""
    type: str | None = None
    default: str | None = None
    columns: list[str] = field(default_factory=list)
    compared_with: str | None = None


def describe_parameters(function: Function) -> dict[str, ParameterUsage]:
    """Each parameter (not ``self``/``cls``) with what its uses in the body say about it."""
    args = function.args
    every = [*args.posonlyargs, *args.args, *args.kwonlyargs]
    every += [a for a in (args.vararg, args.kwarg) if a is not None]
    defaults = _defaults(function)
    parents = {child: node for node in ast.walk(function) for child in ast.iter_child_nodes(node)}
    usages: dict[str, ParameterUsage] = {}
    for arg in every:
        if arg.arg in {"self", "cls"}:
            continue
        usage = ParameterUsage(arg.arg, default=defaults.get(arg.arg))
        uses = [
            node
            for statement in function.body
            for node in ast.walk(statement)
            if isinstance(node, ast.Name) and node.id == arg.arg
        ]
        for node in sorted(uses, key=lambda n: (n.lineno, n.col_offset)):
            _learn(usage, node, parents)
        usages[arg.arg] = usage
    schema = _table_schema(function, [u.name for u in usages.values() if u.kind == "table"])
    dtypes = {column: dtype for columns in schema.values() for column, dtype in columns.items()}
    for arg in every:
        if arg.arg in usages:
            usage = usages[arg.arg]
            if usage.name in schema:  # every column the body reaches, typed by its use
                usage.columns = [f"{c} ({t})" for c, t in schema[usage.name].items()]
            python_type = _PYTHON_TYPES.get(dtypes.get(usage.compared_with or "", ""))
            if python_type and usage.kind == "scalar":  # a value of the column it is compared with
                usage.type = python_type
            elif python_type and usage.kind == "values":
                usage.type = f"list[{python_type}]"
            _finish(usage, arg.annotation, function, parents)
    return usages


def _table_schema(function: Function, tables: list[str]) -> dict[str, dict[str, str]]:
    """The columns (and types) the body implies for the table parameters; {} when unclear."""
    from ibert_inference.schema.infer_ibis import infer_ibis_schema
    from ibert_inference.schema.infer_sql import SchemaInferenceError

    if not tables:
        return {}
    body = "\n".join(ast.unparse(statement) for statement in function.body)
    try:
        return infer_ibis_schema(body, tables=tables)
    except SchemaInferenceError:
        return {}


def _learn(usage: ParameterUsage, node: ast.Name, parents: dict[ast.AST, ast.AST]) -> None:
    parent = parents.get(node)
    grand = parents.get(parent) if parent is not None else None
    if isinstance(parent, ast.Attribute) and parent.value is node:
        if isinstance(grand, ast.Call) and grand.func is parent and parent.attr in TABLE_VERBS:
            _set(usage, "table", f"Table to {TABLE_VERBS[parent.attr]}")
            usage.columns += _chain_columns(grand, parents)
        elif not (isinstance(grand, ast.Call) and grand.func is parent):
            usage.kind = "table" if usage.kind in {"unknown", "table"} else usage.kind
            usage.columns.append(parent.attr)
    elif isinstance(parent, ast.Call) and node in parent.args:
        _learn_argument(usage, node, parent)
    elif isinstance(parent, ast.Compare):
        column = next((c for c in [parent.left, *parent.comparators] if _column_name(c)), None)
        if column is not None and len(parent.ops) == 1:
            op = type(parent.ops[0])
            op = _FLIPPED.get(op, op) if parent.left is node else op
            _set(usage, "scalar", _BOUNDS.get(op, "Compared with {col}").format(
                col=_column_name(column)))  # fmt: skip
            usage.compared_with = _column_name(column)
    elif isinstance(parent, ast.BinOp):
        other = parent.right if parent.left is node else parent.left
        if _column_name(other) and type(parent.op) in _ARITHMETIC:
            text = _ARITHMETIC[type(parent.op)].format(col=_column_name(other))
            _set(usage, "scalar", text)
            usage.compared_with = _column_name(other)
    elif isinstance(parent, ast.keyword) and isinstance(grand, ast.Call) and parent.arg:
        _set(usage, usage.kind, f"Passed as `{parent.arg}` to `{ast.unparse(grand.func)}`")
    elif isinstance(parent, ast.Subscript) and parent.slice is node:
        _set(usage, "column_name", "Name of the column to use")
        usage.type = usage.type or "str"


def _learn_argument(usage: ParameterUsage, node: ast.AST, call: ast.Call) -> None:
    method = call.func.attr if isinstance(call.func, ast.Attribute) else None
    receiver = call.func.value if isinstance(call.func, ast.Attribute) else None
    column = _column_name(receiver) if receiver is not None else None
    if method in {"join", "inner_join", "left_join", "outer_join", "union", "intersect"}:
        _set(usage, "table", f"Table to {'join' if 'join' in method else 'combine'} with")
    elif method in {"limit", "head"}:
        _set(usage, "count", "Number of rows to keep")
    elif method in _COLUMN_ARGS:
        _set(usage, "column_name", f"Name of the column(s) to {_COLUMN_ARGS[method]}")
    elif method in {"isin", "notin"} and column:
        keep = "keep" if method == "isin" else "leave out"
        _set(usage, "values", f"Values of {column} to {keep}")
        usage.compared_with = usage.compared_with or column
    elif method == "between" and column:
        position = "Lower" if call.args and call.args[0] is node else "Upper"
        _set(usage, "scalar", f"{position} bound on {column} (inclusive)")
        usage.compared_with = column
    elif method == "fill_null" and column:
        _set(usage, "scalar", f"Value that replaces missing {column}")
    elif method in {"desc", "asc"}:
        _set(usage, "column_name", f"Name of the column to sort by, {method}ending")
    elif isinstance(call.func, ast.Name | ast.Attribute):
        _set(usage, usage.kind, f"Passed to `{ast.unparse(call.func)}`")


def _set(usage: ParameterUsage, kind: str, description: str) -> None:
    """The first use that says something wins; later ones only add columns."""
    if not usage.description:
        usage.kind, usage.description = kind, description


def _finish(
    usage: ParameterUsage, annotation: ast.expr | None, function: Function, parents: dict
) -> None:
    if usage.kind == "table" and not usage.description:
        usage.description = "Table whose columns are used"
    usage.columns = list(dict.fromkeys(usage.columns))
    if usage.kind == "table" and usage.columns:
        names = ", ".join(usage.columns)
        plural = "s" if len(usage.columns) > 1 else ""
        usage.description += f"; uses column{plural} {names}"
    if not usage.description:
        used = any(
            isinstance(n, ast.Name) and n.id == usage.name
            for statement in function.body
            for n in ast.walk(statement)
        )
        usage.description = "Not used by the function" if not used else "Used by the function"
    usage.description += "."
    usage.type = _type(usage, annotation)


def _type(usage: ParameterUsage, annotation: ast.expr | None) -> str | None:
    if annotation is not None:
        return ast.unparse(annotation)
    if usage.default is not None and usage.default != "None":
        try:
            value = ast.literal_eval(usage.default)
        except (ValueError, SyntaxError):
            return None
        if isinstance(value, list | tuple) and value and all(isinstance(v, str) for v in value):
            return f"{type(value).__name__}[str]"
        return type(value).__name__
    return {"table": "ibis.Table", "count": "int", "column_name": "str"}.get(usage.kind, usage.type)


def _column_name(node: ast.AST | None) -> str | None:
    """``_.col``, ``t.col`` or ``t["col"]``: the column's name; else None."""
    if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
        return node.attr
    if (
        isinstance(node, ast.Subscript)
        and isinstance(node.slice, ast.Constant)
        and isinstance(node.slice.value, str)
    ):
        return node.slice.value
    return None


def _chain_columns(call: ast.Call, parents: dict[ast.AST, ast.AST]) -> list[str]:
    """Columns named through ``_`` or as strings in this call and the calls chained on it."""
    names: list[str] = []
    node: ast.AST | None = call
    while isinstance(node, ast.Call):
        for argument in [*node.args, *(k.value for k in node.keywords)]:
            for inner in ast.walk(argument):
                if (
                    isinstance(inner, ast.Attribute)
                    and isinstance(inner.value, ast.Name)
                    and inner.value.id == "_"
                    and not _is_called(inner, parents)
                ):
                    names.append(inner.attr)
            if isinstance(argument, ast.Constant) and isinstance(argument.value, str):
                names.append(argument.value)
        attribute = parents.get(node)
        node = parents.get(attribute) if isinstance(attribute, ast.Attribute) else None
    return names


def _is_called(node: ast.AST, parents: dict[ast.AST, ast.AST]) -> bool:
    parent = parents.get(node)
    return isinstance(parent, ast.Call) and parent.func is node


def _defaults(function: Function) -> dict[str, str]:
    args = function.args
    positional = [*args.posonlyargs, *args.args]
    found = {
        arg.arg: ast.unparse(default)
        for arg, default in zip(
            positional[len(positional) - len(args.defaults) :], args.defaults, strict=True
        )
    }
    found |= {
        arg.arg: ast.unparse(default)
        for arg, default in zip(args.kwonlyargs, args.kw_defaults, strict=True)
        if default is not None
    }
    return found


@dataclass(frozen=True)
class ReturnShape:
    """What the function returns: its type, a short phrase (summary) and a full one (Returns)."""

    type: str | None
    phrase: str | None
    short: str | None = None


def describe_return(function: Function) -> ReturnShape:
    """The last ``return``'s method chain as a phrase ("orders filtered to rows where ...")."""
    returns = [n for n in ast.walk(function) if isinstance(n, ast.Return) and n.value is not None]
    annotation = ast.unparse(function.returns) if function.returns is not None else None
    if not returns:
        return ReturnShape(annotation, None)
    assigned = {
        statement.targets[0].id: statement.value
        for statement in function.body
        if isinstance(statement, ast.Assign)
        and len(statement.targets) == 1
        and isinstance(statement.targets[0], ast.Name)
    }
    steps: list[str] = []
    short: list[str] = []
    node: ast.AST | None = returns[-1].value
    last_method = None
    followed: set[str] = set()
    while True:
        if isinstance(node, ast.Name) and node.id in assigned and node.id not in followed:
            followed.add(node.id)  # an intermediate variable: its chain continues the phrase
            node = assigned[node.id]
            continue
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
            break
        method = node.func.attr
        last_method = last_method or method
        step = _step(method, node)
        if step:
            steps.append(step)
            short.append(_SHORT.get(method, step))
        node = node.func.value
    if not isinstance(node, ast.Name) or not steps:
        return ReturnShape(annotation, None)
    kind = "ibis.Scalar" if last_method in _REDUCTIONS else "ibis.Table"
    phrase = f"{node.id} {_join(list(reversed(steps)))}"
    return ReturnShape(annotation or kind, phrase, f"{node.id} {_join(list(reversed(short)))}")


def _step(method: str, call: ast.Call) -> str | None:
    args = [_readable(a) for a in call.args]
    keywords = [k.arg for k in call.keywords if k.arg]
    if method == "filter" and args:
        return f"filtered to rows where {' and '.join(args)}"
    if method == "group_by":
        return f"grouped by {', '.join(args + keywords)}"
    if method in {"agg", "aggregate"}:
        return f"aggregated into {', '.join(keywords or args)}"
    if method == "mutate":
        return f"with {', '.join(keywords or args)} added"
    if method == "select":
        return f"reduced to {', '.join(keywords + args)}"
    if method == "order_by":
        return f"sorted by {', '.join(args)}"
    if method in {"limit", "head"}:
        return f"limited to {args[0] if args else 'some'} rows"
    if "join" in method and args:
        return f"joined with {args[0]}"
    if method == "distinct":
        return "without duplicate rows"
    if method in _REDUCTIONS:
        return f"reduced to its {method}"
    return None


def _readable(node: ast.AST) -> str:
    """Source text with ``_.`` dropped and string quotes removed: ``amount > threshold``."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
        order = {"desc": "descending", "asc": "ascending"}.get(node.func.attr)
        if order and node.args:  # ibis.desc("total")
            return f"{_readable(node.args[0])} {order}"
        if order:  # _.total.desc()
            return f"{_readable(node.func.value)} {order}"
    return ast.unparse(node).replace("_.", "")


def _join(steps: list[str]) -> str:
    return steps[0] if len(steps) == 1 else ", ".join(steps[:-1]) + " and " + steps[-1]
