"""Judging computed values: targets and tolerances, RAG, direction of travel, year to date,
and exception rules. Pure rule functions live here with their tests; the results feed every report.
"""
