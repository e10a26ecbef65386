"""The one exception of the tuning package."""


class HPOError(ValueError):
    """A run that cannot start as asked (bad arguments, a config space for another model...)."""
