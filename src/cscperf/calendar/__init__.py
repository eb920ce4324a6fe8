"""Dates as the specification counts them: England and Wales working days, month arithmetic,
ages, financial years, reporting months and period windows.

Every rule here is a small pure function named for what it decides; the engine materialises
the same rules as a calendar table so SQL and Python agree.
"""
