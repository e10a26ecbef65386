"""A new device from a few dozen measurements, transferred from the devices anb already knows.

- :mod:`~anb.adaptation.few_shot`: the transfer model, its distillation into an ordinary
  ensemble, and :data:`~anb.adaptation.few_shot.FEW_SHOT_BUILD`, which ``anb/__init__.py``
  registers with :mod:`anb.surrogates.store` for plugin datasets too small for a plain fit;
- :mod:`~anb.adaptation.adapt`: ``anb adapt``, measurements in, an installable device plugin out.

May import: :mod:`anb.models`, :mod:`anb.devices`, :mod:`anb.fitting`, :mod:`anb.surrogates`
(the donors are queried through ``ANBEnsemble``).
"""
