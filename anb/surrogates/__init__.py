"""The surrogate ensembles: where they come from, how they are kept, and the object that queries them.

- :mod:`~anb.surrogates.ensemble`: :class:`~anb.surrogates.ensemble.ANBEnsemble` (``anb.ANBEnsemble``);
- :mod:`~anb.surrogates.store`: an ensemble from the shipped release, the cache, a download or a
  local build, in that order; other packages register builds for datasets a plain fit cannot serve;
- :mod:`~anb.surrogates.shipped` and :mod:`~anb.surrogates.release`: the verified surrogates that
  ship in ``default_surrogates/``, and ``anb release``, which builds and checks them;
  :mod:`~anb.surrogates.release_contents`: what a release wrote into a folder, so that a new one
  replaces nothing else;
- :mod:`~anb.surrogates.ensemble_io`: an ensemble's folder (members plus a sealed manifest);
- :mod:`~anb.surrogates.cache_entry` and :mod:`~anb.surrogates.cache_contents`: one cache entry's
  lock, staging and install, and what ``anb cache --clear`` may remove;
- :mod:`~anb.surrogates.legacy`: ``anb import-legacy``, the original Accel-NASBench models.

May import: :mod:`anb.models`, :mod:`anb.data`, :mod:`anb.devices`, :mod:`anb.fitting`.
"""
