"""`AsyncServingClient`: the asyncio variant of `ServingClient` (grpc.aio).

Same arguments, methods, results and errors as `serving.client.ServingClient`
(both are `ClientCore`s); every call is a coroutine, and the chunks of a long
list are sent concurrently (a batching server merges them).
"""

import asyncio

import grpc

from serving.client import response_readers
from serving.client.client_core import AvailabilityWait, ClientCore
from serving.client.errors import ServingError


class AsyncServingClient(ClientCore):
    """An asyncio client for one served model.

    Args: those of `ClientCore`, and
        max_concurrency: chunks in flight at once (a bound, so a long list
            does not overrun the server's batch queue).

    Example:
    ```python
    async with AsyncServingClient("localhost:8500", "char_cnn") as client:
        predictions = await client.classify(["a fine film"])
    ```
    """

    channels = grpc.aio

    def __init__(self, *args, max_concurrency=8, **kwargs):
        # Checked before the channel opens, so a bad argument leaks nothing.
        if max_concurrency < 1:
            raise ValueError(f"max_concurrency must be >= 1, got {max_concurrency!r}")
        super().__init__(*args, **kwargs)
        self.max_concurrency = max_concurrency

    async def close(self):
        await self._channel.close()

    async def __aenter__(self):
        return self

    async def __aexit__(self, *exc_info):
        await self.close()

    async def classify(self, texts, signature_name=None, timeout=None):
        """Classifies texts; returns one `Prediction` per text, in order."""
        return await self._run_calls(self._classify_calls(texts, signature_name), timeout)

    async def generate(
        self,
        prompts,
        length=100,
        temperature=1.0,
        top_k=0,
        seed=None,
        signature_name=None,
        timeout=None,
    ):
        """Generates one string per prompt (see `ServingClient.generate`)."""
        prompts, controls, signature_name = self._generation(
            prompts, length, temperature, top_k, seed, signature_name
        )
        specs = await self._signature_inputs(signature_name, timeout)
        return await self._run_calls(
            self._generate_calls(prompts, controls, signature_name, specs), timeout
        )

    async def predict(self, inputs, output_filter=None, signature_name=None, timeout=None):
        """A raw Predict call; returns `{output key: numpy array}`."""
        request = self._predict_request(inputs, output_filter, signature_name)
        return response_readers.outputs_to_numpy(await self._call("Predict", request, timeout))

    async def metadata(self, timeout=None):
        response = await self._call("GetModelMetadata", self._metadata_request(), timeout)
        return response_readers.metadata(response)

    async def status(self, timeout=None):
        response = await self._call("GetModelStatus", self._status_request(), timeout)
        return response_readers.statuses(response)

    async def wait_until_available(self, timeout=60.0, poll_interval=0.5):
        """Waits until the model (or chosen version) is AVAILABLE; returns its status."""
        wait = AvailabilityWait(self, timeout, poll_interval)
        while True:
            request = self._status_request()
            try:
                response = await self._models.GetModelStatus(request, timeout=wait.call_timeout())
            except grpc.RpcError as error:
                wait.failed(error)
            else:
                found = wait.answered(response)
                if found is not None:
                    return found
            await asyncio.sleep(wait.pause())

    async def _run_calls(self, calls, timeout):
        """Sends the `(request, read)` Predict calls, at most `max_concurrency` at a time, in order."""
        semaphore = asyncio.Semaphore(self.max_concurrency)

        async def one(request, read):
            async with semaphore:
                return read(await self._call("Predict", request, timeout))

        tasks = [asyncio.ensure_future(one(request, read)) for request, read in calls]
        try:
            results = await asyncio.gather(*tasks)
        except BaseException:
            # One chunk failed: the others' answers would be thrown away.
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            raise
        return [item for chunk_result in results for item in chunk_result]

    async def _signature_inputs(self, signature_name, timeout):
        known, specs = self._known_inputs(signature_name)
        if known:
            return specs
        try:
            metadata = await self.metadata(timeout)
        except ServingError as error:
            return self._learn_inputs(signature_name, error=error)
        return self._learn_inputs(signature_name, metadata)

    async def _call(self, method, request, timeout=None):
        function = self._stub_method(method)
        attempts = self._attempts(method, timeout)
        while True:
            try:
                return await function(request, timeout=attempts.remaining())
            except grpc.RpcError as error:
                await asyncio.sleep(attempts.delay_after(error))
