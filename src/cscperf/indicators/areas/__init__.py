"""One module per catalogue area; each registers its indicator functions with
``@cscperf.indicators.registry.indicator``. Every module here is imported by
:func:`cscperf.indicators.functions.registered`."""
