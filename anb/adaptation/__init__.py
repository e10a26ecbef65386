"""A new device from a few dozen measurements, transferred from the devices anb already knows.

- :mod:`~anb.adaptation.few_shot`: the transfer model, its distillation into an ordinary
  ensemble, and :data:`~anb.adaptation.few_shot.FEW_SHOT_BUILD`, which ``anb/__init__.py``
  registers with :mod:`anb.surrogates.store` for plugin datasets too small for a plain fit;
- :mod:`~anb.adaptation.adapt`: ``anb adapt``, measurements in, an installable device plugin out;
- :mod:`~anb.adaptation.measure`: ``anb measure``, the measurements themselves: architectures'
  networks timed on this machine with a shuffled-rounds protocol, written as result JSONs;
- :mod:`~anb.adaptation.runtimes`: running a network on PyTorch or ONNX Runtime, CPU or CUDA,
  and exporting it to ONNX (``anb export``);
- :mod:`~anb.adaptation.selection`: which architectures to measure (random, or spread over
  what the known devices' surrogates predict).

May import: :mod:`anb.data`, :mod:`anb.models`, :mod:`anb.devices`, :mod:`anb.fitting`,
:mod:`anb.surrogates` (the donors are queried through ``ANBEnsemble``).
"""
