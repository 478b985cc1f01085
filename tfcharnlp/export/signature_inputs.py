"""In-graph checks of an exported signature's inputs, so any server refuses bad input cleanly.

TensorFlow Serving feeds a request's tensors to the graph as sent, whatever
shapes the SignatureDef declares, and some ops do not survive the surprise: a
scalar string reaching the word tokenizer crashed the whole server process.
So our signatures check their own inputs first and answer INVALID_ARGUMENT
on any server. The checks are `EnsureShape` ops, because Grappler folds
rank and shape arithmetic (`tf.rank`, `tf.size(tf.shape(x))`) into the
signature's declared shapes when it optimizes a function, so an `Assert` on
them passes for a `[1, 1]` input; `EnsureShape` compares the fed tensor at
run time, in a Session and in an eager function call alike.
"""


def checked_shape(tensor, shape, name):
    """`tensor` once its run-time shape is compatible with `shape` (None = any size).

    The error names the input: "Shape of tensor text [] is not compatible
    with expected shape [?]".
    """
    import tensorflow as tf

    return tf.ensure_shape(tensor, shape, name=f"check_{name}_shape")


def checked_vector(tensor, name):
    """`tensor` once it is known at run time to be a vector `[batch]`."""
    return checked_shape(tensor, [None], name)
