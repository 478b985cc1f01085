"""Every exported family behind the server: bad string input is refused and the server stays up.

The char classifier, the word classifier (TF Text ops in-graph: a scalar
string once crashed the process there), the n-gram classifier (hashing
in-graph) and the generator, exported by
`tfcharnlp.export` (`exported_families`), each get their string input as a
scalar, a `[1, 1]` matrix and an empty vector, over gRPC and REST. The first
two are INVALID_ARGUMENT (HTTP 400), the empty one is answered with no rows,
and after every request the server still answers a good one.
"""

import grpc
import numpy as np
import pytest
from tensorflow_serving.apis import prediction_service_pb2_grpc

from serving.server import single_model_config
from tests.serving import exported_families
from tests.serving.conftest import predict_request, rest_call
from tfcharnlp import constants

pytestmark = [pytest.mark.integration, pytest.mark.timeout(300)]

FAMILIES = list(exported_families.FAMILIES)


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    base = tmp_path_factory.mktemp("families")
    return {name: exported_families.export_family(name, base) for name in FAMILIES}


@pytest.fixture(scope="module")
def server(exported, serve_module):
    config_list = None
    for name, (path, _, _) in exported.items():
        if config_list is None:
            config_list = single_model_config(name, str(path.parent))
        else:
            config_list.config.add(name=name, base_path=str(path.parent))
    return serve_module(config_list=config_list, rest_api_port=0)


@pytest.fixture(scope="module")
def stub(server):
    with grpc.insecure_channel(server.target) as channel:
        yield prediction_service_pb2_grpc.PredictionServiceStub(channel)


def rest_predict(server, name, inputs):
    """Columnar REST (`inputs`), which keeps the arrays' shapes as sent."""

    def value(array):
        if array.dtype == object:
            return np.vectorize(lambda item: item.decode("utf-8"), otypes=[object])(array).tolist()
        return array.tolist()

    body = {"inputs": {alias: value(array) for alias, array in inputs.items()}}
    return rest_call(server, "POST", f"/v1/models/{name}:predict", body)


def assert_still_answers(stub, name, exported):
    good = exported[name][2][constants.SERVING_SIGNATURE]
    response = stub.Predict(predict_request(name, good), timeout=60)
    assert response.outputs


@pytest.mark.parametrize("name", FAMILIES)
@pytest.mark.parametrize("case", ["scalar", "[1,1]"])
def test_scalar_and_matrix_strings_are_refused_and_the_server_stays_up(
    server, stub, exported, name, case
):
    inputs = exported_families.bad_string_inputs(name, exported[name][2])[case]
    with pytest.raises(grpc.RpcError) as caught:
        stub.Predict(predict_request(name, inputs), timeout=60)
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert_still_answers(stub, name, exported)
    code, body = rest_predict(server, name, inputs)
    assert code == 400 and "error" in body
    assert_still_answers(stub, name, exported)


@pytest.mark.parametrize("name", FAMILIES)
def test_an_empty_string_vector_is_answered_with_no_rows(server, stub, exported, name):
    inputs = exported_families.bad_string_inputs(name, exported[name][2])["empty"]
    response = stub.Predict(predict_request(name, inputs), timeout=60)
    for output in response.outputs.values():
        assert output.tensor_shape.dim[0].size == 0
    code, body = rest_predict(server, name, inputs)
    assert code == 200
    outputs = body["outputs"]
    for value in outputs.values() if isinstance(outputs, dict) else [outputs]:
        assert value == []
    assert_still_answers(stub, name, exported)


def test_the_in_graph_checks_answer_without_the_servers_string_guard(stub, exported, server):
    # The server refuses strings of the wrong rank before the graph; TF Serving
    # does not, so the SavedModel must refuse them itself. Turn the guard off
    # for one servable and ask again: the graph's own check answers.
    name = "word_classifier"
    with server.manager.servable_handle(predict_request(name).model_spec) as servable:
        signature = servable.signatures[constants.SERVING_SIGNATURE]
        guarded = dict(signature.inputs)
        signature.inputs = {alias: (dtype, None) for alias, (dtype, _) in guarded.items()}
        try:
            for case in ("scalar", "[1,1]"):
                inputs = exported_families.bad_string_inputs(name, exported[name][2])[case]
                with pytest.raises(grpc.RpcError) as caught:
                    stub.Predict(predict_request(name, inputs), timeout=60)
                assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
                assert "is not compatible with expected shape [?]" in caught.value.details()
        finally:
            signature.inputs = guarded
    assert_still_answers(stub, name, exported)
