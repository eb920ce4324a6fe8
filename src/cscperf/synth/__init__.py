"""A synthetic council, Eastshire County Council, for demos and tests.

Owns the deterministic microsimulation of children's lives through contacts, referrals,
assessments, enquiries, plans and care, and writing those lives in every format a real council
produces (SSD tables, SSDA903, CIN Census, Annex A, population, settings). No real child's
data is ever used.
"""

from __future__ import annotations

from cscperf.synth.run import generate

__all__ = ["generate"]
