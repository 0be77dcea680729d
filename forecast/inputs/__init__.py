"""The scenario's input files, one concept per module.

:mod:`~forecast.inputs.limits` (bounds and fixed tables), :mod:`~forecast.inputs.text` (the one
text sanitiser), :mod:`~forecast.inputs.fields` (value parsers), :mod:`~forecast.inputs.models`
(the pydantic models and validating them), :mod:`~forecast.inputs.tables` (CSV evidence tables),
:mod:`~forecast.inputs.files` (files and folders as untrusted input) and
:mod:`~forecast.inputs.template` (a new evidence file). :mod:`forecast.scenario` builds the
:class:`~forecast.scenario.Scenario` on them; :mod:`forecast.indicators` reads its files with the
same public names. Importing this package imports none of its modules.
"""
