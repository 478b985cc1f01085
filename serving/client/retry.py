"""The client's retry policy: which failures are tried again, how long to wait, within what deadline.

Only UNAVAILABLE is retried: the request never reached a model, so repeating
it cannot run it twice. Waits grow exponentially (0.1 s doubling, at most
2 s), jittered so that many clients that failed together do not retry
together, and a call never waits past its own deadline.
"""

import dataclasses
import random
import time

import grpc

from serving.client.errors import error_for, error_from_rpc


@dataclasses.dataclass(frozen=True)
class RetryPolicy:
    """How a failed call is tried again.

    Args:
        retries: how many times a call that failed with a retryable code is
            tried again (0: never).
        initial_backoff: seconds before the first retry.
        max_backoff: longest wait between two attempts.
        multiplier: growth of the wait from one retry to the next.
        retryable_codes: the `grpc.StatusCode`s worth another attempt.
    """

    retries: int = 3
    initial_backoff: float = 0.1
    max_backoff: float = 2.0
    multiplier: float = 2.0
    retryable_codes: frozenset = frozenset({grpc.StatusCode.UNAVAILABLE})

    def __post_init__(self):
        if self.retries < 0:
            raise ValueError(f"retries must be >= 0, got {self.retries!r}")

    def backoff(self, attempt, rng=random):
        """Seconds to wait before retry number `attempt` (0-based): exponential, capped, jittered."""
        delay = min(self.max_backoff, self.initial_backoff * self.multiplier**attempt)
        return delay * rng.uniform(0.8, 1.2)

    def start(self, method, timeout):
        """The `Attempts` of one call of `method` that may take `timeout` seconds in all."""
        return Attempts(self, method, timeout)


class Attempts:
    """One call's attempts under its overall deadline; the blocking and asyncio clients share it.

    ```python
    attempts = policy.start("Predict", timeout)
    while True:
        try:
            return stub.Predict(request, timeout=attempts.remaining())
        except grpc.RpcError as error:
            time.sleep(attempts.delay_after(error))
    ```
    """

    def __init__(self, policy, method, timeout):
        self.policy = policy
        self.method = method
        self.timeout = timeout
        self.deadline = time.monotonic() + timeout
        self.attempt = 0

    def remaining(self):
        """Seconds left for the next attempt; DEADLINE_EXCEEDED when none are."""
        remaining = self.deadline - time.monotonic()
        if remaining <= 0:
            raise error_for(
                grpc.StatusCode.DEADLINE_EXCEEDED,
                f"no answer within {self.timeout:g} s ({self.attempt} attempts)",
                method=self.method,
            )
        return remaining

    def delay_after(self, error):
        """Seconds to wait before retrying after `error`; raises its typed error to give up.

        Gives up on codes the policy does not retry, after its retries, and
        when the wait would pass the call's deadline.
        """
        code = error.code()
        if code in self.policy.retryable_codes and self.attempt < self.policy.retries:
            delay = self.policy.backoff(self.attempt)
            if time.monotonic() + delay < self.deadline:
                self.attempt += 1
                return delay
        raise error_from_rpc(error, self.method) from None
