# The float MLP both quantized MLPs start from (256 -> 512 -> 512 -> 10, ReLU; fixed seed), and the graph
# wrapper they share. Imported by make-model.py and make-dynamic.py.
import os
import numpy as np
import onnx
from onnx import TensorProto, helper

here = os.path.dirname(os.path.abspath(__file__))
dims = [256, 512, 512, 10]


def float_mlp(rng):
    """Weights [in, out] and biases per layer, drawn from `rng`."""
    weights = [(rng.standard_normal((dims[i], dims[i + 1])) / np.sqrt(dims[i])).astype(np.float32) for i in range(3)]
    biases = [(rng.standard_normal(dims[i + 1]) * 0.1).astype(np.float32) for i in range(3)]
    return weights, biases


def save_mlp(nodes, inits, name, file):
    """A graph from x [batch, 256] to logits [batch, 10], checked and saved beside this script."""
    graph = helper.make_graph(nodes, name, [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", dims[0]])],
                              [helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["batch", dims[-1]])], inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)], producer_name="tensorc-example")
    onnx.checker.check_model(model)
    onnx.save(model, os.path.join(here, file))
