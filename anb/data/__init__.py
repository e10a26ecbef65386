"""The files anb reads and the checks at its doors: everything below the surrogates.

- :mod:`~anb.data.dataset`: the Accel-NASBench result JSONs as one DataFrame, and what was dropped;
- :mod:`~anb.data.splits`: train/validation/test splits by file name, the project's default split;
- :mod:`~anb.data.paths`: where anb keeps what it downloads or builds (``ANB_HOME``, ``ANB_DATA_DIR``);
- :mod:`~anb.data.download`: hash-checked downloads;
- :mod:`~anb.data.atomic`: files written whole or not at all, with the umask's permissions;
- :mod:`~anb.data.validation`: the checks of plain arguments and JSON files every public door takes.

May import: no other anb package (it is the bottom layer; ``configurationspaces`` is fine).
"""
