# Writes CNNs laid out the way TensorFlow/Keras exports them through tf2onnx: an NHWC input, one Transpose to
# NCHW in front of the convolutions, Conv + Relu + MaxPool chains in NCHW, a Transpose back to NHWC, then the
# head in NHWC (global average pool as ReduceMean over H, W; dense layer as MatMul + Add). Seeded random
# weights; fp32, static shapes, opset 17. Run with Debian's python3-onnx:
#   /usr/bin/python3 examples/nhwc-cnn/make-model.py
# Writes next to this script (committed; rerunning gives the same files):
#   cnn_nhwc_224.onnx  the bench suite's cnn_224 (3 x [Conv3x3 pad1 + ReLU + MaxPool2] 3->32->64->128) on NHWC
#   cnn_nhwc_56.onnx   a deeper, narrower stack on 1x56x56x16: 4 x [Conv3x3 pad1 + ReLU], stride-2 conv, 1x1 conv
#   mobilenet_nhwc_112.onnx  MobileNet-style depthwise-separable blocks on 1x112x112x3: a stride-2 conv to 32
#                      channels, then 4 x [depthwise 3x3 + ReLU, pointwise 1x1 + ReLU] (3 depthwise of stride 2)
import os

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

HERE = os.path.dirname(os.path.abspath(__file__))


def build(name, hw, cin, layers, rng):
    """layers: (cout, kernel, stride, pad, pool[, group]) per convolution."""
    inits, nodes = [], []

    def const(n, arr):
        inits.append(numpy_helper.from_array(np.asarray(arr), n))
        return n

    nodes.append(helper.make_node("Transpose", ["x"], ["x_nchw"], perm=[0, 3, 1, 2]))
    x, c = "x_nchw", cin
    for i, (cout, k, s, p, pool, *grp) in enumerate(layers):
        g = grp[0] if grp else 1
        w = const(f"w{i}", (rng.standard_normal([cout, c // g, k, k]) / np.sqrt(c // g * k * k)).astype(np.float32))
        b = const(f"b{i}", (0.01 * rng.standard_normal([cout])).astype(np.float32))
        extra = {"group": g} if g != 1 else {}
        nodes.append(helper.make_node("Conv", [x, w, b], [f"c{i}"], kernel_shape=[k, k], pads=[p] * 4, strides=[s, s], **extra))
        nodes.append(helper.make_node("Relu", [f"c{i}"], [f"r{i}"]))
        x = f"r{i}"
        if pool:
            nodes.append(helper.make_node("MaxPool", [x], [f"p{i}"], kernel_shape=[2, 2], strides=[2, 2]))
            x = f"p{i}"
        c = cout
    nodes.append(helper.make_node("Transpose", [x], ["feat_nhwc"], perm=[0, 2, 3, 1]))
    nodes.append(helper.make_node("ReduceMean", ["feat_nhwc"], ["gap"], axes=[1, 2], keepdims=0))
    fw = const("fw", (rng.standard_normal([c, 10]) / np.sqrt(c)).astype(np.float32))
    fb = const("fb", (0.01 * rng.standard_normal([10])).astype(np.float32))
    nodes.append(helper.make_node("MatMul", ["gap", fw], ["fc"]))
    nodes.append(helper.make_node("Add", ["fc", fb], ["y"]))
    graph = helper.make_graph(nodes, name, [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, hw, hw, cin])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 10])], initializer=inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], producer_name="nhwc-cnn")
    model.ir_version = 8
    onnx.checker.check_model(model)
    onnx.save(model, os.path.join(HERE, f"{name}.onnx"))


rng = np.random.default_rng(5)
build("cnn_nhwc_224", 224, 3, [(32, 3, 1, 1, True), (64, 3, 1, 1, True), (128, 3, 1, 1, True)], rng)
build("cnn_nhwc_56", 56, 16, [(32, 3, 1, 1, False), (32, 3, 1, 1, False), (32, 3, 1, 1, False), (32, 3, 1, 1, False),
                              (64, 3, 2, 1, False), (64, 1, 1, 0, False)], rng)
build("mobilenet_nhwc_112", 112, 3, [(32, 3, 2, 1, False),
                                     (32, 3, 1, 1, False, 32), (64, 1, 1, 0, False),
                                     (64, 3, 2, 1, False, 64), (128, 1, 1, 0, False),
                                     (128, 3, 2, 1, False, 128), (128, 1, 1, 0, False),
                                     (128, 3, 2, 1, False, 128), (256, 1, 1, 0, False)], rng)
