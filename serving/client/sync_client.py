"""`ServingClient`: typed, blocking calls to a TensorFlow Serving-compatible server.

Works unchanged against `tensorflow/serving` and `tfcharnlp serve`. Imports
no TensorFlow runtime (only the protos, see `serving.protos`), so it loads in
a fraction of a second.
"""

import time

import grpc

from serving.client import response_readers
from serving.client.client_core import AvailabilityWait, ClientCore
from serving.client.errors import ServingError


class ServingClient(ClientCore):
    """A client for one served model: classify, generate, predict, metadata, status.

    Args: those of `ClientCore` (target, model_name, version, version_label,
    timeout, retries, credentials, max_message_size, chunk_size, channel_options).

    Raises (from every call): `serving.client.errors.ServingError` subclasses,
    which keep the gRPC `.code` and the server's `.details`.

    Example:
    ```python
    with ServingClient("localhost:8500", "char_cnn") as client:
        client.wait_until_available(timeout=60)
        for prediction in client.classify(["a fine film", "dull and long"]):
            print(prediction.label, prediction.probability)
    ```
    """

    channels = grpc

    def close(self):
        self._channel.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()

    def classify(self, texts, signature_name=None, timeout=None):
        """Classifies raw texts.

        Args:
            texts: a list of strings (or one string).
            signature_name: default `serving_default`.
            timeout: seconds for each request (a chunk of `chunk_size` texts).

        Returns:
            One `Prediction(label, class_id, probabilities)` per text, in order.
        """
        return self._run_calls(self._classify_calls(texts, signature_name), timeout)

    def generate(
        self,
        prompts,
        length=100,
        temperature=1.0,
        top_k=0,
        seed=None,
        signature_name=None,
        timeout=None,
    ):
        """Generates text from prompts with a generator model (sampling runs in the server).

        Args:
            prompts: a list of strings (or one string).
            length: characters to generate per prompt.
            temperature: sampling temperature; <= 0 is greedy.
            top_k: sample among the k likeliest characters; 0 = all.
            seed: same prompt, controls and seed -> same text; None: a fresh
                random seed per prompt.

        Each control is one value for every prompt or a sequence with one
        value per prompt; requests carry one value per prompt (the
        signature's `[None]` controls), so a batching server can merge them
        with other clients' requests. Our exported sampler draws each prompt
        from its own seed, so a prompt's text does not depend on the other
        prompts, the chunking or the server's batching.

        Returns:
            The generated strings, one per prompt, in order.
        """
        prompts, controls, signature_name = self._generation(
            prompts, length, temperature, top_k, seed, signature_name
        )
        specs = self._signature_inputs(signature_name, timeout)
        return self._run_calls(
            self._generate_calls(prompts, controls, signature_name, specs), timeout
        )

    def predict(self, inputs, output_filter=None, signature_name=None, timeout=None):
        """A raw Predict call.

        Args:
            inputs: `{input key: numpy array, list, scalar or TensorProto}`.
            output_filter: output keys to return (default: all).
            signature_name: default `serving_default`.

        Returns:
            `{output key: numpy array}`; strings as object arrays of bytes.
        """
        request = self._predict_request(inputs, output_filter, signature_name)
        return response_readers.outputs_to_numpy(self._call("Predict", request, timeout))

    def metadata(self, timeout=None):
        """The model's `ModelMetadata`: answering version and its signatures."""
        response = self._call("GetModelMetadata", self._metadata_request(), timeout)
        return response_readers.metadata(response)

    def status(self, timeout=None):
        """The model's versions as `ModelVersionStatus` (state, load error), oldest first."""
        response = self._call("GetModelStatus", self._status_request(), timeout)
        return response_readers.statuses(response)

    def wait_until_available(self, timeout=60.0, poll_interval=0.5):
        """Blocks until the model (or the chosen version) is AVAILABLE.

        The server may still be starting (UNAVAILABLE) or not have loaded the
        model yet (NOT_FOUND): both mean "keep waiting".

        Returns:
            The `ModelVersionStatus` of the available version.

        Raises:
            ServingTimeoutError: not available within `timeout` seconds (the
                message carries the last state seen, e.g. a load error).
        """
        wait = AvailabilityWait(self, timeout, poll_interval)
        while True:
            request = self._status_request()
            try:
                response = self._models.GetModelStatus(request, timeout=wait.call_timeout())
            except grpc.RpcError as error:
                wait.failed(error)
            else:
                found = wait.answered(response)
                if found is not None:
                    return found
            time.sleep(wait.pause())

    def _run_calls(self, calls, timeout):
        """Sends each `(request, read)` Predict call in turn; returns the read results joined."""
        results = []
        for request, read in calls:
            results.extend(read(self._call("Predict", request, timeout)))
        return results

    def _signature_inputs(self, signature_name, timeout):
        """The signature's `{input key: TensorSpec}`, or None if the server cannot tell."""
        known, specs = self._known_inputs(signature_name)
        if known:
            return specs
        try:
            metadata = self.metadata(timeout)
        except ServingError as error:
            return self._learn_inputs(signature_name, error=error)
        return self._learn_inputs(signature_name, metadata)

    def _call(self, method, request, timeout=None):
        """One unary call with an overall deadline and retries on UNAVAILABLE."""
        function = self._stub_method(method)
        attempts = self._attempts(method, timeout)
        while True:
            try:
                return function(request, timeout=attempts.remaining())
            except grpc.RpcError as error:
                time.sleep(attempts.delay_after(error))
