"""TensorFlow Serving's half_plus_two / half_plus_three test models, rebuilt here.

`build_tf1` follows TensorFlow Serving's `saved_model_half_plus_two.py`
(tensorflow_serving/servables/tensorflow/testdata): a TF1 graph saved with
the compat.v1 builder, variables `a = 0.5`, `b`, `c = 3`; a string
placeholder `tf_example` [None] parsed with ParseExample (features `x` and
`x2`, FixedLen [1]); `x` the identity of the parsed feature, so its
SignatureDef shape is [-1, 1]; `y = a*x + b`, `y2 = a*x + c`, `y3 = a2*x2 +
c2`; an asset file; signatures `serving_default` (predict x -> y),
`classify_x_to_y`, `regress_x_to_y`, `regress_x_to_y2`, `regress_x2_to_y3`.
With `b = 2` it is half_plus_two, with `b = 3` half_plus_three (which
`tf.saved_model.load` cannot load: "Shapes must be equal rank").

`build_tf2` is the TF2 equivalent: a `tf.Module` whose `serving_default`
takes `x` float32 [None, 1] and returns `y = 0.5*x + 2`.
"""

import os

import tensorflow as tf

CLASSIFY_X_TO_Y = "classify_x_to_y"
REGRESS_X_TO_Y = "regress_x_to_y"
REGRESS_X_TO_Y2 = "regress_x_to_y2"
REGRESS_X2_TO_Y3 = "regress_x2_to_y3"


def build_tf1(base_path, version, b=2.0):
    """Saves half_plus_two (b=2) or half_plus_three (b=3) as `<base_path>/<version>/`."""
    path = os.path.join(str(base_path), str(version))
    v1 = tf.compat.v1
    with tf.Graph().as_default(), v1.Session() as session:
        a = v1.Variable(0.5, name="a")
        b_variable = v1.Variable(float(b), name="b")
        c = v1.Variable(3.0, name="c")
        serialized = v1.placeholder(tf.string, name="tf_example", shape=[None])
        parsed = v1.parse_example(
            serialized,
            {
                "x": v1.FixedLenFeature([1], dtype=tf.float32),
                "x2": v1.FixedLenFeature([1], dtype=tf.float32, default_value=[0.0]),
            },
        )
        x = tf.identity(parsed["x"], name="x")
        y = tf.identity(tf.add(tf.multiply(a, x), b_variable), name="y")
        y2 = tf.identity(tf.add(tf.multiply(a, x), c), name="y2")
        x2 = tf.identity(parsed["x2"], name="x2")
        a2 = v1.Variable(0.5, name="a2")
        c2 = v1.Variable(3.0, name="c2")
        y3 = tf.identity(tf.add(tf.multiply(a2, x2), c2), name="y3")

        asset_folder = os.path.join(str(base_path), f"original-assets-{version}")
        os.makedirs(asset_folder, exist_ok=True)
        asset_path = os.path.join(asset_folder, "foo.txt")
        with open(asset_path, "w", encoding="utf-8") as stream:
            stream.write("asset-file-contents")
        v1.add_to_collection(v1.GraphKeys.ASSET_FILEPATHS, tf.constant(asset_path))
        filename = v1.Variable("foo.txt", name="filename_tensor", trainable=False, collections=[])

        info = v1.saved_model.utils.build_tensor_info
        methods = v1.saved_model.signature_constants

        def regression(inputs, outputs):
            return v1.saved_model.signature_def_utils.build_signature_def(
                {methods.REGRESS_INPUTS: info(inputs)},
                {methods.REGRESS_OUTPUTS: info(outputs)},
                methods.REGRESS_METHOD_NAME,
            )

        signatures = {
            REGRESS_X_TO_Y: regression(serialized, y),
            REGRESS_X_TO_Y2: regression(serialized, y2),
            REGRESS_X2_TO_Y3: regression(x2, y3),
            CLASSIFY_X_TO_Y: v1.saved_model.signature_def_utils.build_signature_def(
                {methods.CLASSIFY_INPUTS: info(serialized)},
                {methods.CLASSIFY_OUTPUT_SCORES: info(y)},
                methods.CLASSIFY_METHOD_NAME,
            ),
            methods.DEFAULT_SERVING_SIGNATURE_DEF_KEY: (
                v1.saved_model.signature_def_utils.build_signature_def(
                    {"x": info(x)}, {"y": info(y)}, methods.PREDICT_METHOD_NAME
                )
            ),
        }
        session.run(v1.global_variables_initializer())
        builder = v1.saved_model.Builder(path)
        builder.add_meta_graph_and_variables(
            session,
            [v1.saved_model.tag_constants.SERVING],
            signature_def_map=signatures,
            assets_collection=v1.get_collection(v1.GraphKeys.ASSET_FILEPATHS),
            main_op=tf.group(filename.assign("foo.txt")),
        )
        builder.save()
    return path


class _HalfPlusTwo(tf.Module):
    def __init__(self):
        super().__init__()
        self.a = tf.Variable(0.5)
        self.b = tf.Variable(2.0)

    @tf.function(input_signature=[tf.TensorSpec([None, 1], tf.float32, name="x")])
    def serve(self, x):
        return {"y": self.a * x + self.b}


def build_tf2(base_path, version):
    """Saves the TF2 half_plus_two as `<base_path>/<version>/`."""
    path = os.path.join(str(base_path), str(version))
    module = _HalfPlusTwo()
    tf.saved_model.save(module, path, signatures={"serving_default": module.serve})
    return path
