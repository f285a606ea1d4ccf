"""Templates of the synthetic samples: vocabularies and sentence templates, data only.

One module per data set. A template is a string with ``{slot}`` fields that
:meth:`workbench.samples.base.Picker.fill` fills from a vocabulary (slot → words). Editing
a template changes the committed ``data_samples/`` (regenerate them with
``workbench samples --out data_samples --seed 0``).
"""
