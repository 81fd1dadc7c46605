"""Defences against hostile or unlucky input, shared by every stage.

- :mod:`pipeline.safety.limits`: size limits (``normalize.max_bytes``) and long sentences cut into windows
  the model can parse;
- :mod:`pipeline.safety.rawtext`: the one reader of a raw article, decoded the way normalize recorded,
  control characters blanked one for one; :mod:`pipeline.safety.corpus` reads every article of a run
  that way, for evaluate and report;
- :mod:`pipeline.safety.ruleregex`: rule regular expressions compiled for linear-time matching;
- :mod:`pipeline.safety.csvcells`: spreadsheet-safe CSV cells and the ``sources`` list codec;
- :mod:`pipeline.safety.records`: pydantic models of what the stages write, to validate cache entries.
"""
