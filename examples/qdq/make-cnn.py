# Builds cnn.onnx: the float CNN of examples/cnn/model.onnx in QDQ form, as a static quantizer lays it out:
# QuantizeLinear -> DequantizeLinear (uint8, per-tensor) on the input of every Conv and Gemm, int8 weights with
# a per-output-channel scale behind a DequantizeLinear (axis 0), float32 biases. Activation ranges come from a
# calibration batch run through the float model, layer by layer.
# Run with Debian's python3-onnx: /usr/bin/python3 examples/qdq/make-cnn.py
import os
import numpy as np
import onnx
from onnx import helper, numpy_helper

here = os.path.dirname(os.path.abspath(__file__))
model = onnx.load(os.path.join(here, "..", "cnn", "model.onnx"))
g = model.graph
weights = {i.name: numpy_helper.to_array(i) for i in g.initializer}
rng = np.random.default_rng(0)
calib = rng.random((16, 3, 32, 32), dtype=np.float32)


def conv2d(x, w, b, pad):
    n, c, h, wd = x.shape
    m, _, kh, kw = w.shape
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    oh, ow = h + 2 * pad - kh + 1, wd + 2 * pad - kw + 1
    cols = np.stack([xp[:, :, i:i + oh, j:j + ow] for i in range(kh) for j in range(kw)], axis=2)  # n c k oh ow
    return np.einsum("nckhw,mck->nmhw", cols, w.reshape(m, c, kh * kw)) + b[None, :, None, None]


def ranges():
    """The input range of every Conv and Gemm, from the float model on the calibration batch."""
    vals, out = {g.input[0].name: calib}, []
    for n in g.node:
        x = vals[n.input[0]]
        if n.op_type in ("Conv", "Gemm"):
            out.append((min(float(x.min()), 0.0), max(float(x.max()), 0.0)))
        if n.op_type == "Conv":
            pads = [a.ints for a in n.attribute if a.name == "pads"]
            y = conv2d(x, weights[n.input[1]], weights[n.input[2]], pads[0][0] if pads else 0)
        elif n.op_type == "Relu":
            y = np.maximum(x, 0)
        elif n.op_type == "MaxPool":
            y = x.reshape(x.shape[0], x.shape[1], x.shape[2] // 2, 2, x.shape[3] // 2, 2).max(axis=(3, 5))
        elif n.op_type == "GlobalAveragePool":
            y = x.mean(axis=(2, 3), keepdims=True)
        elif n.op_type == "Flatten":
            y = x.reshape(x.shape[0], -1)
        elif n.op_type == "Gemm":
            y = x @ weights[n.input[1]].T + weights[n.input[2]]
        else:
            raise SystemExit(f"unexpected op {n.op_type}")
        vals[n.output[0]] = y
    return out


nodes, inits, k = [], [], 0
act = iter(ranges())
for n in g.node:
    if n.op_type in ("Conv", "Gemm"):
        lo, hi = next(act)
        scale = np.float32((hi - lo) / 255.0)
        zp = np.uint8(np.clip(np.rint(-lo / scale), 0, 255))
        inits += [numpy_helper.from_array(np.array(scale, np.float32), f"a{k}_scale"), numpy_helper.from_array(np.array(zp, np.uint8), f"a{k}_zp")]
        nodes += [helper.make_node("QuantizeLinear", [n.input[0], f"a{k}_scale", f"a{k}_zp"], [f"a{k}_q"]),
                  helper.make_node("DequantizeLinear", [f"a{k}_q", f"a{k}_scale", f"a{k}_zp"], [f"a{k}_dq"])]
        w = weights[n.input[1]]
        ws = (np.abs(w).reshape(w.shape[0], -1).max(axis=1) / 127.0).astype(np.float32)
        ws[ws == 0] = 1
        wq = np.clip(np.rint(w / ws.reshape((-1,) + (1,) * (w.ndim - 1))), -127, 127).astype(np.int8)
        inits += [numpy_helper.from_array(wq, f"w{k}_q"), numpy_helper.from_array(ws, f"w{k}_scale"),
                  numpy_helper.from_array(np.zeros(w.shape[0], np.int8), f"w{k}_zp")]
        nodes.append(helper.make_node("DequantizeLinear", [f"w{k}_q", f"w{k}_scale", f"w{k}_zp"], [f"w{k}_dq"], axis=0))
        n.input[0], n.input[1] = f"a{k}_dq", f"w{k}_dq"
        k += 1
    nodes.append(n)
del g.node[:]
g.node.extend(nodes)
used = {i for n in g.node for i in n.input}
kept = [i for i in g.initializer if i.name in used] + inits
del g.initializer[:]
g.initializer.extend(kept)
onnx.checker.check_model(model)
onnx.save(model, os.path.join(here, "cnn.onnx"))
