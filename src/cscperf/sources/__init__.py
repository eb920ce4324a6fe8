"""Reading a council's files: SSD tables, SSDA903, CIN Census, Annex A, population and settings.

Owns recognising each input by its content, parsing every yearly variant, checking it, and
turning it into the canonical child-level tables (SSD-shaped), with a data-quality report.
It never writes to the store itself: it hands validated tables to ``cscperf.store``.
"""
