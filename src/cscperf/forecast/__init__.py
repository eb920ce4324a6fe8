"""Forecasting children looked after and their placement costs, proven by backtest.

The stages, each a module:

- :mod:`.settings` — age bands, placement categories and unit costs (``defaults.yaml``,
  overridable by a council's ``forecast.yaml``);
- :mod:`.history` — from placement spells to the monthly stock by age band and placement
  category, the monthly flows between those states, and the entries into care;
- :mod:`.model` — the fitted stock-and-flow model (transition probabilities, entry rates
  with trend and seasonality) and its projection with an uncertainty interval;
- :mod:`.scenarios` — changes to entry, exit and step-down rates from a date;
- :mod:`.backtest` — rolling-origin backtest against naive baselines and against the
  reference-window Markov method as Social Finance's children's services demand model
  documents it;
- :mod:`.cost` — the projection costed with weekly unit costs.

Everything here works on aggregates and arrays: no child's identifier leaves
:func:`.history.monthly_states`, which uses them only to follow a child from month to month.
"""
