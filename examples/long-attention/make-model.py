# Writes long-sequence self-attention models for tensorc's fused attention kernel: x [1, S, 256] -> Q, K, V
# projections -> 4 heads of 64 (reshape + transpose, Kᵀ by transpose, as PyTorch exports multi-head attention)
# -> QKᵀ / 8 -> (causal: Where(triu mask, -inf, scores), as masked_fill exports) -> Softmax -> PV -> head merge
# -> output projection. Seeded random weights; fp32, static shapes, opset 17. Run with Debian's python3-onnx:
#   /usr/bin/python3 examples/long-attention/make-model.py [S ...]      (default S = 1024 2048)
# Writes attention_<S>.onnx and attention_causal_<S>.onnx next to this script (not committed: a 2048 causal
# mask is a 4 MB initializer).
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

HERE = os.path.dirname(os.path.abspath(__file__))
E, HEADS = 256, 4
D = E // HEADS


def build(seq, causal, rng):
    inits = []

    def const(name, arr):
        inits.append(numpy_helper.from_array(np.asarray(arr), name))
        return name

    def weight(name, shape):
        return const(name, (rng.standard_normal(shape) / np.sqrt(shape[0])).astype(np.float32))

    nodes = []

    def node(op, ins, out, **attrs):
        nodes.append(helper.make_node(op, ins, [out], **attrs))
        return out

    const("heads_shape", np.array([1, seq, HEADS, D], dtype=np.int64))
    const("merged_shape", np.array([1, seq, E], dtype=np.int64))
    const("scale", np.array(np.sqrt(D), dtype=np.float32))

    def proj(tag, src):
        mm = node("MatMul", [src, weight(f"W{tag}", (E, E))], f"{tag}_mm")
        return node("Add", [mm, const(f"b{tag}", (rng.standard_normal(E) * 0.1).astype(np.float32))], f"{tag}_proj")

    q = node("Transpose", [node("Reshape", [proj("q", "x"), "heads_shape"], "q_heads")], "q_t", perm=[0, 2, 1, 3])
    kt = node("Transpose", [node("Reshape", [proj("k", "x"), "heads_shape"], "k_heads")], "k_t", perm=[0, 2, 3, 1])
    v = node("Transpose", [node("Reshape", [proj("v", "x"), "heads_shape"], "v_heads")], "v_t", perm=[0, 2, 1, 3])
    s = node("Div", [node("MatMul", [q, kt], "qk"), "scale"], "scores")
    if causal:
        const("causal_mask", np.triu(np.ones((seq, seq), dtype=bool), k=1))
        const("minus_inf", np.array(-np.inf, dtype=np.float32))
        s = node("Where", ["causal_mask", "minus_inf", s], "masked")
    p = node("Softmax", [s], "probs", axis=-1)
    o = node("Transpose", [node("MatMul", [p, v], "pv")], "pv_t", perm=[0, 2, 1, 3])
    merged = node("Reshape", [o, "merged_shape"], "merged")
    y = node("Add", [node("MatMul", [merged, weight("Wo", (E, E))], "o_mm"), const("bo", np.zeros(E, dtype=np.float32))], "y")
    graph = helper.make_graph(nodes, f"attention_{seq}", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, seq, E])],
                              [helper.make_tensor_value_info(y, TensorProto.FLOAT, [1, seq, E])], initializer=inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], producer_name="long-attention")
    model.ir_version = 8
    onnx.checker.check_model(model)
    return model


def main():
    seqs = [int(a) for a in sys.argv[1:]] or [1024, 2048]
    rng = np.random.default_rng(7)
    for seq in seqs:
        for causal in (False, True):
            path = os.path.join(HERE, f"attention_{'causal_' if causal else ''}{seq}.onnx")
            onnx.save(build(seq, causal, rng), path)
            print(f"wrote {path} ({os.path.getsize(path) / 1e6:.1f} MB)")


if __name__ == "__main__":
    main()
