"""Errors whose message is meant for the person who asked.

    UserFacingError
     ├── InvalidRequest   an option out of range, an empty or huge seed
     ├── QueueFull        too many requests waiting (carries retry_after)
     ├── WarmingUp        no model trained yet; the first model is training (with an ETA)
     ├── UnknownModel     the `model` option names no model the bot has
     ├── NoModel          no model and none being trained: an operator must look
     └── GenerationTimedOut  the generation ran past its time budget and was stopped

Anything else is a bug: logged with its traceback, answered with a generic apology.
"""


class UserFacingError(Exception):
    """Its message is safe and useful to show the user as is."""


class InvalidRequest(UserFacingError):
    pass


class QueueFull(UserFacingError):
    def __init__(self, retry_after: float) -> None:
        self.retry_after = retry_after
        super().__init__(f"I'm busy writing for others; try again in {retry_after:.0f} s.")


class WarmingUp(UserFacingError):
    def __init__(self, eta_seconds: float) -> None:
        self.eta_seconds = eta_seconds
        if eta_seconds < 60:
            wait = "less than a minute"
        elif eta_seconds < 90:
            wait = "about a minute"
        else:
            wait = f"about {eta_seconds / 60:.0f} min"
        super().__init__(
            f"Warming up: my first model is still training, {wait} to go. Try again then."
        )


class UnknownModel(UserFacingError):
    pass


class NoModel(UserFacingError):
    pass


class GenerationTimedOut(UserFacingError):
    def __init__(self, seconds: float) -> None:
        super().__init__(
            f"That took longer than {seconds:g} s, so I stopped. Try fewer lines or again later."
        )
