"""Shared test helpers, so each model or layer test is small kwargs plus one call.

Modelled on keras-hub's `TestCase`: helpers check a layer's config round
trip, its behaviour in `tf.data`, and its survival through saving.
"""

import contextlib

import numpy as np


class TestCase:
    """Base class for tfcharnlp tests (pytest collects its subclasses)."""

    def assertAllClose(self, actual, expected, atol=1e-6, rtol=1e-6):
        np.testing.assert_allclose(np.asarray(actual), np.asarray(expected), atol=atol, rtol=rtol)

    def assertAllEqual(self, actual, expected):
        np.testing.assert_array_equal(np.asarray(actual), np.asarray(expected))

    def run_layer_test(
        self,
        cls,
        init_kwargs,
        input_data,
        expected_output_shape,
        expected_num_trainable_weights=None,
        run_training_check=True,
        run_mixed_precision_check=True,
        loss="mse",
        targets=None,
    ):
        """Builds `cls(**init_kwargs)` (a layer or a model) and checks it end to end.

        Checks the output shape, the number of trainable weights, the config
        round trip, one `fit` step (finite loss, weights move) and a build
        and call under the "mixed_float16" policy (finite outputs). Returns
        the layer. `init_kwargs` is a dict or a callable returning one
        (fresh sublayers, e.g. a backbone, for each build).
        """
        import keras

        def kwargs():
            return init_kwargs() if callable(init_kwargs) else dict(init_kwargs)

        layer = cls(**kwargs())
        output = layer(input_data)
        assert tuple(output.shape) == tuple(expected_output_shape), output.shape
        if expected_num_trainable_weights is not None:
            assert len(layer.trainable_weights) == expected_num_trainable_weights
        self.run_serialization_test(layer)

        if run_training_check:
            model = layer
            if not isinstance(layer, keras.Model):
                inputs = keras.Input(
                    shape=np.shape(input_data)[1:], dtype=np.asarray(input_data).dtype.name
                )
                model = keras.Model(inputs, layer(inputs))
            if targets is None:
                targets = np.zeros(tuple(output.shape), dtype="float32")
            before = [np.array(weight) for weight in model.trainable_weights]
            model.compile(optimizer=keras.optimizers.SGD(0.1), loss=loss)
            history = model.fit(
                input_data, targets, batch_size=len(input_data), epochs=1, verbose=0
            )
            assert np.isfinite(history.history["loss"][-1]), history.history
            after = [np.array(weight) for weight in model.trainable_weights]
            assert any(
                not np.array_equal(old, new) for old, new in zip(before, after, strict=True)
            ), "one fit step left every weight unchanged"

        if run_mixed_precision_check:
            with mixed_precision():
                mixed = cls(**kwargs())
                mixed_output = mixed(input_data)
            assert tuple(mixed_output.shape) == tuple(expected_output_shape)
            assert np.all(np.isfinite(np.asarray(mixed_output, dtype="float32")))
        return layer

    def run_serialization_test(self, instance):
        """Config round trip: `from_config(get_config())` and Keras (de)serialization.

        The config must survive JSON, rebuild an object of the same class
        whose config is equal, and survive `keras.saving.serialize_keras_object`
        / `deserialize_keras_object`. Returns the revived object.
        """
        import json

        import keras

        config = instance.get_config()
        config_json = json.dumps(config, sort_keys=True)
        revived = instance.__class__.from_config(json.loads(config_json))
        assert type(revived) is type(instance)
        assert json.dumps(revived.get_config(), sort_keys=True) == config_json
        serialized = keras.saving.serialize_keras_object(instance)
        json.dumps(serialized)
        deserialized = keras.saving.deserialize_keras_object(serialized)
        assert type(deserialized) is type(instance)
        assert json.dumps(deserialized.get_config(), sort_keys=True) == config_json
        return revived

    def run_model_saving_test(self, cls, init_kwargs, input_data, atol=1e-6, model=None):
        """Saves `cls(**init_kwargs)` (or `model`) as `.keras`, reloads, compares outputs.

        The reloaded model must be of the same class and give the same
        inference outputs for `input_data`. Returns the reloaded model.
        """
        import tempfile

        import keras

        if model is None:
            model = cls(**init_kwargs)
        expected = model(input_data, training=False)
        with tempfile.TemporaryDirectory() as folder:
            path = f"{folder}/model.keras"
            model.save(path)
            restored = keras.saving.load_model(path)
        assert type(restored) is cls, type(restored)
        self.assertAllClose(restored(input_data, training=False), expected, atol=atol, rtol=0)
        return restored

    def run_pretrained_embedding_test(self, cls, init_kwargs, input_data):
        """A frozen pre-trained matrix starts `cls`'s `token_embedding` and survives saving.

        The matrix travels with the weights, not with the config (it can be
        hundreds of megabytes). Returns nothing; fails on any difference.
        """
        import numpy as np

        shape = (init_kwargs["vocabulary_size"], init_kwargs["embedding_dim"])
        matrix = np.random.rand(*shape).astype("float32")
        backbone = cls(**init_kwargs, embedding_matrix=matrix, trainable_embedding=False)
        self.assertAllClose(backbone.token_embedding.embeddings, matrix)
        assert not backbone.token_embedding.trainable
        assert "embedding_matrix" not in backbone.get_config()
        restored = self.run_model_saving_test(cls, None, input_data, model=backbone)
        self.assertAllClose(restored.token_embedding.embeddings, matrix)
        assert not restored.token_embedding.trainable

    def run_preprocessing_layer_test(self, cls, init_kwargs, input_data, expected_output=None):
        """Checks a string-input layer the four ways it runs, and returns its output.

        The output must be the same (and equal `expected_output` when given)
        eagerly, after a Keras config round trip, inside `dataset.map` on
        batches, and through a `tf.function` taking `tf.string` in a
        `tf.Module` that is saved with `tf.saved_model.save` and reloaded.
        """
        import tempfile

        import keras
        import tensorflow as tf

        def values(output):
            # Ragged outputs (max_length=None) compare as nested lists.
            return output.to_list() if isinstance(output, tf.RaggedTensor) else output.numpy()

        inputs = tf.constant(input_data, dtype=tf.string)
        layer = cls(**init_kwargs)
        eager = values(layer(inputs))
        if expected_output is not None:
            self.assertAllEqual(eager, np.asarray(expected_output))

        def check(output):
            if isinstance(eager, list):
                assert values(output) == eager
            else:
                self.assertAllEqual(values(output), eager)

        check(cls.from_config(layer.get_config())(inputs))
        revived = keras.saving.deserialize_keras_object(keras.saving.serialize_keras_object(layer))
        assert type(revived) is cls
        check(revived(inputs))

        if inputs.shape.rank == 0:
            dataset = tf.data.Dataset.from_tensors(inputs).map(layer)
            check(next(iter(dataset)))
        else:
            # Uneven batches: the last one is smaller, so shapes stay dynamic.
            dataset = tf.data.Dataset.from_tensor_slices(inputs).batch(2).map(layer)
            mapped = [values(batch) for batch in dataset]
            if isinstance(eager, list):
                assert sum(mapped, []) == eager
            elif mapped:
                self.assertAllEqual(np.concatenate(mapped), eager)

        module = tf.Module()
        module.layer = layer
        module.call = tf.function(
            lambda text: layer(text),
            input_signature=[tf.TensorSpec([None] * inputs.shape.rank, tf.string)],
        )
        with tempfile.TemporaryDirectory() as export_dir:
            tf.saved_model.save(module, export_dir)
            loaded = tf.saved_model.load(export_dir)
            check(loaded.call(inputs))
        return eager

    def run_export_test(
        self, model, texts, export_dir, labels=None, batch_sizes=(1, 7, 64, 0), atol=1e-5
    ):
        """Exports a classifier and checks the SavedModel against the in-memory model.

        For each batch size (texts repeated as needed) the `serving_default`
        outputs must equal `softmax(model(preprocessor(texts)))`, its argmax and
        label names; an empty batch (0) must give empty outputs of the right
        shapes (in memory, Keras convolutions fail on an empty batch, so there
        is nothing to compare with). Returns the loaded SavedModel.
        """
        import tensorflow as tf

        from tfcharnlp import constants
        from tfcharnlp.export import ClassifierExporter

        if labels is None:
            labels = [f"class_{index}" for index in range(model.output_shape[-1])]
        ClassifierExporter(model, labels).write(str(export_dir))
        loaded = tf.saved_model.load(str(export_dir))
        serve = loaded.signatures[constants.SERVING_SIGNATURE]
        texts = list(texts)
        for batch_size in batch_sizes:
            batch = [texts[index % len(texts)] for index in range(batch_size)]
            batch = tf.constant(batch, dtype=tf.string, shape=[batch_size])
            outputs = serve(**{constants.CLASSIFIER_INPUT: batch})
            if batch_size:
                logits = model(model.preprocessor(batch), training=False)
                expected = tf.nn.softmax(tf.cast(logits, tf.float32), axis=-1).numpy()
            else:
                expected = np.zeros([0, len(labels)], np.float32)
            probabilities = outputs[constants.PROBABILITIES].numpy()
            assert probabilities.shape == (batch_size, len(labels)), probabilities.shape
            assert probabilities.dtype == np.float32
            self.assertAllClose(probabilities, expected, atol=atol, rtol=0)
            class_ids = outputs[constants.CLASS_IDS].numpy()
            assert class_ids.dtype == np.int64
            self.assertAllEqual(class_ids, expected.argmax(axis=-1))
            names = [label.decode("utf-8") for label in outputs[constants.LABELS].numpy()]
            assert names == [labels[index] for index in class_ids]
        return loaded


@contextlib.contextmanager
def mixed_precision(policy="mixed_float16"):
    """Layers built inside use `policy`; the previous global policy is restored after."""
    import keras

    previous = keras.config.dtype_policy()
    keras.config.set_dtype_policy(policy)
    try:
        yield
    finally:
        keras.config.set_dtype_policy(previous)
