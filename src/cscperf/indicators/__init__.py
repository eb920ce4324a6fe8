"""The indicator catalogue and the engine that computes it.

Owns the catalogue (YAML validated by pydantic), per-council parameter overrides with
effective dates, and compiling each indicator through Ibis into rows of the output contract:
indicator, period_end, breakdown, breakdown_value, numerator, denominator, value.
"""
