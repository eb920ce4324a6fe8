"""One indicator query for many councils at once: an Ibis expression rewritten so that the
council is the outermost grouping of everything it computes.

A pooled build holds every member council's canonical tables in one table each, with a
column naming the council (``la_code``). An indicator function, written for one council,
knows nothing of it. :func:`by_council` rewrites the expression the function returned, so
that the pooled query gives for each council exactly what the council's own run gives:

- every relation read from a table holding the column ("partitioned") keeps the column
  through projections, aggregations (it becomes the first group) and joins;
- two partitioned sides are joined only within a council (the column equal on both sides,
  as well as the function's own conditions), so identifiers need not be unique across
  councils;
- window functions over a partitioned relation are partitioned by the council too;
- a table without the column (the calendar, the reporting months, code lists: "global") is
  the same for every council; where a council's rows must be kept although it has none of
  its own (a global table left-joined to, or anti-joined with, a partitioned one), the global
  side is first crossed with the table of councils, so that each council gets its own copy.

Forms whose meaning for many councils the rewrite cannot keep (scalar subqueries and IN
subqueries over partitioned tables, right, outer and as-of joins between them, a limit, an
aggregate with no groups) raise :class:`PartitionError` rather than compute something else.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import ibis.expr.operations as ops
import ibis.expr.types as ir

# Joins after which a council's rows are those of the left side only: the right side need
# not be partitioned for the result to be.
_KEEPS_LEFT = ("left", "semi", "anti", "any_left")
_NEEDS_BOTH = ("inner", "cross", "any_inner")
_UNSUPPORTED_SUBQUERIES = (ops.ScalarSubquery, ops.InSubquery, ops.ExistsSubquery)


class PartitionError(Exception):
    """An expression the council-by-council rewrite cannot keep the meaning of."""


def by_council(expr: ir.Table, column: str, councils: ir.Table) -> ir.Table:
    """``expr`` computed for every council at once (see the module's description):
    ``column`` names the council in partitioned tables, ``councils`` is a table of one
    column ``column`` listing every council."""
    rewriter = _Rewriter(column, councils.op())
    return rewriter.rewrite(expr.op()).to_expr()


class _Rewriter:
    def __init__(self, column: str, councils: ops.Relation) -> None:
        self.column = column
        self.councils = councils

    def partitioned(self, rel: Any) -> bool:
        return isinstance(rel, ops.Relation) and self.column in rel.schema

    def rewrite(self, node: ops.Relation) -> ops.Relation:
        result = node.replace(self._replace)
        assert isinstance(result, ops.Relation)
        return result

    def _replace(self, node: Any, changed: Mapping[str, Any] | None) -> Any:
        args = (
            dict(changed)
            if changed is not None
            else dict(zip(node.__argnames__, node.__args__, strict=True))
        )
        handler = _HANDLERS.get(type(node))
        if handler is None:
            for kind, candidate in _HANDLERS.items():
                if isinstance(node, kind):
                    handler = candidate
                    break
        if handler is not None:
            return handler(self, node, args)
        return node.__class__(**args) if changed is not None else node

    # ------------------------------------------------------------------ relations

    def project(self, node: ops.Project, args: dict[str, Any]) -> ops.Project:
        parent, values = args["parent"], dict(args["values"])
        if self.partitioned(parent) and self.column not in values:
            values[self.column] = ops.Field(parent, self.column)
        return ops.Project(parent, values)

    def aggregate(self, node: ops.Aggregate, args: dict[str, Any]) -> ops.Aggregate:
        parent, groups = args["parent"], dict(args["groups"])
        if not self.partitioned(parent) or self.column in groups:
            return ops.Aggregate(parent, groups, args["metrics"])
        if not groups:
            raise PartitionError(
                "an aggregate over a council's rows with no groups gives one row even for a "
                "council with none; group it, or compute it per item"
            )
        return ops.Aggregate(
            parent, {self.column: ops.Field(parent, self.column), **groups}, args["metrics"]
        )

    def join(self, node: ops.JoinChain, args: dict[str, Any]) -> ops.JoinChain:
        first, rest, values = args["first"], list(args["rest"]), dict(args["values"])
        flags = [self.partitioned(link.table) for link in rest]
        if not any(flags) and not self.partitioned(first):
            return ops.JoinChain(first, rest, values)
        for link, flag in zip(rest, flags, strict=True):
            if flag and link.how not in (*_KEEPS_LEFT, *_NEEDS_BOTH):
                raise PartitionError(f"a {link.how} join between councils' tables")
        leading = (
            next(link for link, flag in zip(rest, flags, strict=True) if flag)
            if any(flags)
            else None
        )
        if not self.partitioned(first) and leading is not None and leading.how in _KEEPS_LEFT:
            promoted = ops.JoinReference(self.promote(first.parent), first.identifier)
            swap = {first: promoted}
            rest = [link.replace(swap) for link in rest]
            values = {name: value.replace(swap) for name, value in values.items()}
            first = promoted
        anchor = first if self.partitioned(first) else None
        joined = []
        for link in rest:
            if self.partitioned(link.table):
                if anchor is None:
                    anchor = link.table
                else:
                    same = ops.Equals(
                        ops.Field(anchor, self.column), ops.Field(link.table, self.column)
                    )
                    how = "inner" if link.how == "cross" else link.how
                    link = ops.JoinLink(how, link.table, (*link.predicates, same))
            joined.append(link)
        assert anchor is not None
        # Always the leftmost council's column, even where the expression already selects
        # one: a shared block's table carries the column, and a function that joins it on
        # the right (a left join to find a team) would otherwise take the right side's,
        # null for its unmatched rows, which would then belong to no council.
        values[self.column] = ops.Field(anchor, self.column)
        return ops.JoinChain(first, joined, values)

    def set_op(self, node: ops.Set, args: dict[str, Any]) -> ops.Set:
        left, right = args["left"], args["right"]
        if self.partitioned(left) != self.partitioned(right):
            if self.partitioned(left):
                right = self.promote(right)
            else:
                left = self.promote(left)
        return node.__class__(left, right, distinct=args["distinct"])

    def limit(self, node: ops.Limit, args: dict[str, Any]) -> ops.Limit:
        if self.partitioned(args["parent"]):
            raise PartitionError("a limit over councils' rows")
        return ops.Limit(**args)

    def promote(self, rel: ops.Relation) -> ops.Relation:
        """A global relation crossed with the councils: one copy per council."""
        crossed = rel.to_expr().cross_join(self.councils.to_expr())
        return crossed.op()

    # ------------------------------------------------------------------ values

    def window(self, node: ops.WindowFunction, args: dict[str, Any]) -> ops.WindowFunction:
        group_by = tuple(args["group_by"])
        relations = {
            field.rel
            for part in (args["func"], *group_by, *args["order_by"])
            for field in part.find(ops.Field, filter=ops.Value)
        }
        councils = [rel for rel in relations if self.partitioned(rel)]
        if len(councils) > 1:
            raise PartitionError("a window over more than one council's relation")
        if councils:
            key = ops.Field(councils[0], self.column)
            if key not in group_by:
                group_by = (key, *group_by)
        return ops.WindowFunction(**{**args, "group_by": group_by})

    def subquery(self, node: Any, args: dict[str, Any]) -> Any:
        if self.partitioned(args["rel"]):
            raise PartitionError(f"a {type(node).__name__} over councils' rows")
        return node.__class__(**args)


_HANDLERS: dict[type, Any] = {
    ops.Project: _Rewriter.project,
    ops.Aggregate: _Rewriter.aggregate,
    ops.JoinChain: _Rewriter.join,
    ops.Set: _Rewriter.set_op,
    ops.Limit: _Rewriter.limit,
    ops.WindowFunction: _Rewriter.window,
    **dict.fromkeys(_UNSUPPORTED_SUBQUERIES, _Rewriter.subquery),
}
