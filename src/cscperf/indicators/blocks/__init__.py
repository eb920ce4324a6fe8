"""Shared building blocks: the layer between the context and the indicator areas.

Everything here is read by more than one area: small portable expressions
(``expressions``), reporting windows, items open at a month end and working days
(``windows``), team attribution (``attribution``), the rules of care periods, plans and
placements (``care_periods``), looked-after and placement blocks (``care``), ages
(``ages``) and distinct referrals (``referrals``). Arrows point one way: areas import blocks,
blocks import the context, and no block imports an area (tests/indicators/test_layers.py).
"""
