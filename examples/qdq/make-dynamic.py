# Builds dynamic.onnx: the MLP of make-model.py (same seed, same float weights) quantized dynamically, in the
# layout onnxruntime's dynamic quantizer writes for MatMul: per layer, DynamicQuantizeLinear on the activation
# (uint8, scale and zero point computed from each input at run time), MatMulInteger against int8 weights
# (symmetric, per output column), Cast to float, Mul by activation scale x weight scale, Add the bias.
# Run with Debian's python3-onnx: /usr/bin/python3 examples/qdq/make-dynamic.py
import numpy as np
from onnx import TensorProto, helper, numpy_helper
from mlp_common import float_mlp, save_mlp

weights, biases = float_mlp(np.random.default_rng(0))

nodes, inits = [], []
cur = "x"
for i, (w, b) in enumerate(zip(weights, biases)):
    s = (np.abs(w).max(axis=0) / 127.0).astype(np.float32)
    q = np.clip(np.rint(w / s), -127, 127).astype(np.int8)
    inits += [numpy_helper.from_array(q, f"w{i}_q"), numpy_helper.from_array(np.array(0, np.int8), f"w{i}_zp"),
              numpy_helper.from_array(s, f"w{i}_scale"), numpy_helper.from_array(b, f"b{i}")]
    out = f"z{i}" if i < 2 else "logits"
    nodes += [helper.make_node("DynamicQuantizeLinear", [cur], [f"x{i}_q", f"x{i}_scale", f"x{i}_zp"]),
              helper.make_node("MatMulInteger", [f"x{i}_q", f"w{i}_q", f"x{i}_zp", f"w{i}_zp"], [f"acc{i}"]),
              helper.make_node("Cast", [f"acc{i}"], [f"accf{i}"], to=TensorProto.FLOAT),
              helper.make_node("Mul", [f"x{i}_scale", f"w{i}_scale"], [f"scale{i}"]),
              helper.make_node("Mul", [f"accf{i}", f"scale{i}"], [f"mm{i}"]),
              helper.make_node("Add", [f"mm{i}", f"b{i}"], [out])]
    if i < 2:
        nodes.append(helper.make_node("Relu", [out], [f"h{i}"]))
        cur = f"h{i}"

save_mlp(nodes, inits, "dynamic_mlp", "dynamic.onnx")
