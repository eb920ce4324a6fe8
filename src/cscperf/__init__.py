"""cscperf: children's social care performance reporting for English councils.

Data moves one way through the stage packages:
``sources`` (read files) -> ``store`` (immutable builds) -> ``indicators`` (compute) ->
``evaluate`` (targets, RAG, direction, benchmarks) -> ``reports`` / ``web`` (present).
``synth`` writes a synthetic council's input files; ``calendar`` holds the date rules
every stage shares.
"""

__version__ = "0.1.0"
