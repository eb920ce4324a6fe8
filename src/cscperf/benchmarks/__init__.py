"""Published comparators: DfE Explore Education Statistics files and LAIT.

Owns reading the published files (suppression codes, LA reorganisations), statistical
neighbours, England, region, top quartile, rank and quartile band for any English council.
"""
