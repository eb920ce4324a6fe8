"""Pools: several councils' published builds combined, and the benchmarks they make together.

A pool is a folder (``pool.yaml`` its settings, ``membership.jsonl`` who is in it and from
which month, ``store/`` its immutable pooled builds). Building the pool computes each member's
indicators from the member's own build first, exactly as the member's single-council run does,
then pools the members' canonical tables with every row keeping its LA code, children's
identifiers replaced by a keyed hash (the key is supplied at pooling time and never stored),
and what the pool does not need coarsened or dropped (:mod:`~cscperf.pools.degrade`). The
pooled benchmarks (:mod:`~cscperf.pools.stats`) are worked out from the members' own values.
See docs/pools.md.
"""
