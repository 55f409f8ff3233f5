# Builds a QDQ-quantized MLP (256 -> 512 -> 512 -> 10, ReLU) in the layout onnxruntime's static quantizer
# writes: activations uint8 with a per-tensor scale and zero point (QuantizeLinear -> DequantizeLinear before
# every MatMul), weights int8 symmetric per output channel (DequantizeLinear on an int8 initializer, axis 1),
# float32 biases. Ranges come from a calibration batch. Also writes one input and the model's output computed
# with numpy (the same QDQ arithmetic), so the example can be checked without onnxruntime.
# Run with Debian's python3-onnx: /usr/bin/python3 examples/qdq/make-model.py
import os
import numpy as np
from onnx import helper, numpy_helper
from mlp_common import dims, float_mlp, here, save_mlp

rng = np.random.default_rng(0)
weights, biases = float_mlp(rng)


def act_params(t):
    lo, hi = min(float(t.min()), 0.0), max(float(t.max()), 0.0)
    scale = np.float32((hi - lo) / 255.0)
    return scale, np.uint8(np.clip(np.rint(-lo / scale), 0, 255))


def quant(x, s, zp, lo, hi):
    return np.clip(np.rint(x / s) + zp, lo, hi)


def fake_quant_act(x, s, zp):
    return ((quant(x, s, zp, 0, 255).astype(np.float32) - np.float32(zp)) * s).astype(np.float32)


# Per-channel symmetric int8 weights.
wq, ws = [], []
for w in weights:
    s = (np.abs(w).max(axis=0) / 127.0).astype(np.float32)
    wq.append(quant(w, s, 0, -127, 127).astype(np.int8))
    ws.append(s)
wdq = [(q.astype(np.float32) * s).astype(np.float32) for q, s in zip(wq, ws)]

# Calibrate activation ranges on a batch, layer by layer through the quantized model.
calib = rng.standard_normal((256, dims[0])).astype(np.float32)
act = []
h = calib
for i in range(3):
    act.append(act_params(h))
    h = fake_quant_act(h, *act[i]) @ wdq[i] + biases[i]
    if i < 2:
        h = np.maximum(h, 0)


def run(x):
    h = x
    for i in range(3):
        h = (fake_quant_act(h, *act[i]) @ wdq[i] + biases[i]).astype(np.float32)
        if i < 2:
            h = np.maximum(h, 0)
    return h


nodes, inits = [], []
cur = "x"
for i in range(3):
    s, zp = act[i]
    inits += [numpy_helper.from_array(np.array(s, np.float32), f"a{i}_scale"),
              numpy_helper.from_array(np.array(zp, np.uint8), f"a{i}_zp"),
              numpy_helper.from_array(wq[i], f"w{i}_q"),
              numpy_helper.from_array(ws[i], f"w{i}_scale"),
              numpy_helper.from_array(np.zeros(dims[i + 1], np.int8), f"w{i}_zp"),
              numpy_helper.from_array(biases[i], f"b{i}")]
    nodes += [helper.make_node("QuantizeLinear", [cur, f"a{i}_scale", f"a{i}_zp"], [f"a{i}_q"]),
              helper.make_node("DequantizeLinear", [f"a{i}_q", f"a{i}_scale", f"a{i}_zp"], [f"a{i}_dq"]),
              helper.make_node("DequantizeLinear", [f"w{i}_q", f"w{i}_scale", f"w{i}_zp"], [f"w{i}_dq"], axis=1),
              helper.make_node("MatMul", [f"a{i}_dq", f"w{i}_dq"], [f"mm{i}"]),
              helper.make_node("Add", [f"mm{i}", f"b{i}"], [f"z{i}" if i < 2 else "logits"])]
    if i < 2:
        nodes.append(helper.make_node("Relu", [f"z{i}"], [f"h{i}"]))
        cur = f"h{i}"

save_mlp(nodes, inits, "qdq_mlp", "model.onnx")
x = rng.standard_normal((64, dims[0])).astype(np.float32)
np.save(os.path.join(here, "input.npy"), x)
np.save(os.path.join(here, "expected.npy"), run(x))
