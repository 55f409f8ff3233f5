# PyTorch-exported ONNX fixtures with PyTorch's own outputs as references, for the frontend tests.
# Run once by a developer with Debian's python3-torch (1.13) and python3-onnx (1.12); the results are committed so
# tests never need Python:
#   /usr/bin/python3 scripts/gen-pytorch-fixtures.py [--out DIR]
# Writes <model>_<static|dynamic>.onnx, <model>_<variant>/case<k>/{input,output}_<i>.npy and manifest.json into
# packages/frontend/test/fixtures/pytorch (or DIR). Static variants are checked at the traced shape; dynamic-axes
# variants at two shapes other than the traced one. Seeds are fixed and sizes small (whole set well under 1 MB).
import argparse
import json
import os

import numpy as np
import onnx
import torch
import torch.nn as nn
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_OUT = os.path.join(HERE, "..", "packages", "frontend", "test", "fixtures", "pytorch")
# 14 rather than 13: torch.triu exports as Trilu only from 14 (at 13 the exporter refuses it), and every model
# here exports at 14.
OPSET = 14
SEED = 0


# ---------------------------------------------------------------------------------------------------- models


class MLP(nn.Module):
    def __init__(self):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(16, 32), nn.ReLU(), nn.Linear(32, 32), nn.ReLU(), nn.Linear(32, 5))

    def forward(self, x):
        return self.net(x)


class CNNBN(nn.Module):
    """Conv + BatchNorm (eval) + ReLU + MaxPool + Flatten + Linear. In eval mode the exporter folds a BatchNorm that
    follows a Conv into the Conv's weights, so a BatchNorm1d on the flattened features is added to keep a real
    BatchNormalization node in the graph."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 6, 3, padding=1)
        self.bn = nn.BatchNorm2d(6)
        self.conv2 = nn.Conv2d(6, 4, 3, stride=2)
        self.bn_fc = nn.BatchNorm1d(36)
        self.fc = nn.Linear(36, 5)
        for bn in (self.bn, self.bn_fc):  # non-trivial running statistics, or BatchNorm would be the identity
            bn.running_mean.uniform_(-0.5, 0.5)
            bn.running_var.uniform_(0.5, 2.0)
            nn.init.uniform_(bn.weight, 0.5, 1.5)
            nn.init.uniform_(bn.bias, -0.2, 0.2)

    def forward(self, x):
        y = F.max_pool2d(F.relu(self.bn(self.conv(x))), 2)  # [B,6,7,7]
        y = F.relu(self.conv2(y))  # [B,4,3,3]
        return self.fc(self.bn_fc(torch.flatten(y, 1)))


class BNPrologue(nn.Module):
    """BatchNorm before the layer it feeds (the exporter folds a BatchNorm only when it follows a Conv): BatchNorm1d ->
    Linear on features; BatchNorm2d -> 1x1 Conv and BatchNorm2d -> 3x3 Conv with padding 1 on an image."""

    def __init__(self):
        super().__init__()
        self.bn_fc, self.fc = nn.BatchNorm1d(8), nn.Linear(8, 6)
        self.bn_pw, self.pw = nn.BatchNorm2d(4), nn.Conv2d(4, 5, 1)
        self.bn_conv, self.conv = nn.BatchNorm2d(4), nn.Conv2d(4, 5, 3, padding=1)
        for bn in (self.bn_fc, self.bn_pw, self.bn_conv):  # non-trivial running statistics
            bn.running_mean.uniform_(-0.5, 0.5)
            bn.running_var.uniform_(0.5, 2.0)
            nn.init.uniform_(bn.weight, 0.5, 1.5)
            nn.init.uniform_(bn.bias, -0.2, 0.2)

    def forward(self, features, image):
        return self.fc(self.bn_fc(features)), self.pw(self.bn_pw(image)), self.conv(self.bn_conv(image))


class DWSepUpsample(nn.Module):
    """Depthwise (groups=channels) + pointwise conv, then nearest and bilinear (align_corners=False) upsampling."""

    def __init__(self):
        super().__init__()
        self.dw = nn.Conv2d(6, 6, 3, padding=1, groups=6)
        self.pw = nn.Conv2d(6, 4, 1)
        self.up_nearest = nn.Upsample(scale_factor=2, mode="nearest")
        self.up_bilinear = nn.Upsample(scale_factor=2, mode="bilinear", align_corners=False)

    def forward(self, x):
        y = F.relu(self.pw(self.dw(x)))
        return self.up_nearest(y) + self.up_bilinear(y)


class Encoder(nn.Module):
    """nn.TransformerEncoderLayer; eval() turns dropout off."""

    def __init__(self):
        super().__init__()
        self.layer = nn.TransformerEncoderLayer(d_model=32, nhead=4, dim_feedforward=64, batch_first=True)

    def forward(self, x):
        return self.layer(x)


class Attention(nn.Module):
    """Hand-written pre-norm block: LayerNorm, multi-head attention with a causal mask (triu + masked_fill -inf),
    and an MLP with exact (erf) GELU."""

    def __init__(self, d=16, heads=2):
        super().__init__()
        self.heads = heads
        self.ln1 = nn.LayerNorm(d)
        self.qkv = nn.Linear(d, 3 * d)
        self.proj = nn.Linear(d, d)
        self.ln2 = nn.LayerNorm(d)
        self.ff = nn.Sequential(nn.Linear(d, 32), nn.GELU(), nn.Linear(32, d))

    def forward(self, x):
        b, s, d = x.shape
        hd = d // self.heads
        q, k, v = self.qkv(self.ln1(x)).chunk(3, dim=-1)
        q, k, v = (t.reshape(b, s, self.heads, hd).transpose(1, 2) for t in (q, k, v))
        att = (q @ k.transpose(-2, -1)) / hd ** 0.5
        causal = torch.triu(torch.ones(s, s, dtype=torch.bool), diagonal=1)
        att = att.masked_fill(causal, float("-inf")).softmax(-1)
        x = x + self.proj((att @ v).transpose(1, 2).reshape(b, s, d))
        return x + self.ff(self.ln2(x))


class TinyGPT(nn.Module):
    """Token + positional embedding, two attention blocks, final LayerNorm, untied LM head; int64 token ids."""

    VOCAB = 40

    def __init__(self, d=16, ctx=16):
        super().__init__()
        self.tok = nn.Embedding(self.VOCAB, d)
        self.pos = nn.Embedding(ctx, d)
        self.blocks = nn.Sequential(Attention(d), Attention(d))
        self.ln = nn.LayerNorm(d)
        self.head = nn.Linear(d, self.VOCAB, bias=False)

    def forward(self, ids):
        pos = torch.arange(ids.shape[1]).unsqueeze(0)
        return self.head(self.ln(self.blocks(self.tok(ids) + self.pos(pos))))


class LSTM2(nn.Module):
    def __init__(self):
        super().__init__()
        self.lstm = nn.LSTM(8, 12, num_layers=2, batch_first=True)

    def forward(self, x):
        y, (h, c) = self.lstm(x)
        return y, h, c


class BiGRU(nn.Module):
    def __init__(self):
        super().__init__()
        self.gru = nn.GRU(8, 10, bidirectional=True, batch_first=True)

    def forward(self, x):
        y, h = self.gru(x)
        return y, h


class MoEBase(nn.Module):
    """Top-2 mixture of experts over [batch, seq, d]: router Linear -> softmax -> topk(2), gates renormalised.
    Each expert is Linear -> GELU -> Linear, stored stacked so the dense variants can run all experts at once."""

    def __init__(self, d=16, experts=4, hidden=24, k=2):
        super().__init__()
        self.experts, self.k = experts, k
        self.router = nn.Linear(d, experts)
        self.w1 = nn.Parameter(torch.randn(experts, d, hidden) * 0.25)
        self.b1 = nn.Parameter(torch.randn(experts, hidden) * 0.1)
        self.w2 = nn.Parameter(torch.randn(experts, hidden, d) * 0.25)
        self.b2 = nn.Parameter(torch.randn(experts, d) * 0.1)

    def route(self, t):
        gates, idx = self.router(t).softmax(-1).topk(self.k, dim=-1)
        return gates / gates.sum(-1, keepdim=True), idx

    def forward(self, x):
        b, s, d = x.shape
        return self.mix(x.reshape(-1, d)).reshape(b, s, d)


class MoELoop(MoEBase):
    """Python loop over experts: the tokens routed to expert e are found with torch.where on the routing mask (NonZero
    in ONNX, a data-dependent size), gathered, run through the expert and index_add_-ed back. The exporter turns
    index_add_ into ScatterElements onto zeros + Add, which is exact here because a token picks each expert at most
    once, so the indices of one call are distinct."""

    def mix(self, t):
        gates, idx = self.route(t)
        out = torch.zeros_like(t)
        for e in range(self.experts):
            tok, slot = torch.where(idx == e)
            h = F.gelu(t[tok] @ self.w1[e] + self.b1[e])
            y = (h @ self.w2[e] + self.b2[e]) * gates[tok, slot].unsqueeze(-1)
            out.index_add_(0, tok, y)
        return out


class MoEDenseMask(MoEBase):
    """All experts computed densely for every token, then weighted by a one-hot routing mask times the gates."""

    def mix(self, t):
        gates, idx = self.route(t)
        weights = (F.one_hot(idx, self.experts).to(t.dtype) * gates.unsqueeze(-1)).sum(1)  # [T, E]
        h = F.gelu(torch.einsum("td,edh->teh", t, self.w1) + self.b1)
        y = torch.einsum("teh,ehd->ted", h, self.w2) + self.b2  # [T, E, d]
        return (y * weights.unsqueeze(-1)).sum(1)


class MoEDenseGather(MoEBase):
    """All experts computed densely (stacked [T, E, d]), then the top-k expert outputs picked with torch.gather."""

    def mix(self, t):
        gates, idx = self.route(t)
        h = F.gelu(torch.einsum("td,edh->teh", t, self.w1) + self.b1)
        y = torch.einsum("teh,ehd->ted", h, self.w2) + self.b2
        picked = torch.gather(y, 1, idx.unsqueeze(-1).expand(-1, -1, y.shape[-1]))  # [T, k, d]
        return (picked * gates.unsqueeze(-1)).sum(1)


# ---------------------------------------------------------------------------------------------------- specs


def spec(factory, inputs, outputs, traced, dynamic_axes, cases, tol=(1e-4, 1e-5), int_high=None):
    """inputs/outputs: ONNX names; traced: input shapes for tracing; dynamic_axes: per input/output name;
    cases: two lists of input shapes for the dynamic variant; int_high: int64 inputs are drawn from [0, int_high)."""
    return dict(factory=factory, inputs=inputs, outputs=outputs, traced=traced, dynamic_axes=dynamic_axes,
                cases=cases, rtol=tol[0], atol=tol[1], int_high=int_high)


BS = {0: "batch", 1: "seq"}
MOE_AXES = {"x": BS, "y": BS}
MOE_CASES = [[(3, 5, 16)], [(1, 11, 16)]]

MODELS = {
    "mlp": spec(MLP, ["x"], ["y"], [(3, 16)], {"x": {0: "batch"}, "y": {0: "batch"}}, [[(5, 16)], [(1, 16)]]),
    "cnn_bn": spec(CNNBN, ["image"], ["logits"], [(2, 3, 14, 14)], {"image": {0: "batch"}, "logits": {0: "batch"}},
                   [[(3, 3, 14, 14)], [(1, 3, 14, 14)]]),
    "bn_prologue": spec(BNPrologue, ["features", "image"], ["linear", "pointwise", "conv3x3"], [(3, 8), (2, 4, 6, 6)],
                        {"features": {0: "batch"}, "image": {0: "batch"}, "linear": {0: "batch"}, "pointwise": {0: "batch"},
                         "conv3x3": {0: "batch"}}, [[(5, 8), (3, 4, 6, 6)], [(2, 8), (1, 4, 6, 6)]]),
    "dwsep_upsample": spec(DWSepUpsample, ["x"], ["y"], [(2, 6, 5, 7)],
                           {"x": {0: "batch", 2: "height", 3: "width"}, "y": {0: "batch", 2: "height2", 3: "width2"}},
                           [[(3, 6, 4, 4)], [(1, 6, 6, 3)]]),
    "transformer_encoder": spec(Encoder, ["x"], ["y"], [(2, 7, 32)], {"x": BS, "y": BS},
                                [[(3, 5, 32)], [(1, 9, 32)]]),
    "attention_block": spec(Attention, ["x"], ["y"], [(2, 7, 16)], {"x": BS, "y": BS}, [[(3, 5, 16)], [(1, 9, 16)]]),
    "tiny_gpt": spec(TinyGPT, ["ids"], ["logits"], [(2, 7)], {"ids": BS, "logits": BS}, [[(3, 5)], [(1, 12)]],
                     int_high=TinyGPT.VOCAB),
    "lstm2": spec(LSTM2, ["x"], ["y", "h", "c"], [(2, 7, 8)],
                  {"x": BS, "y": BS, "h": {1: "batch"}, "c": {1: "batch"}}, [[(3, 5, 8)], [(1, 9, 8)]]),
    "bigru": spec(BiGRU, ["x"], ["y", "h"], [(2, 7, 8)], {"x": BS, "y": BS, "h": {1: "batch"}},
                  [[(3, 5, 8)], [(1, 9, 8)]]),
    "moe_loop": spec(MoELoop, ["x"], ["y"], [(2, 7, 16)], MOE_AXES, MOE_CASES),
    "moe_dense_mask": spec(MoEDenseMask, ["x"], ["y"], [(2, 7, 16)], MOE_AXES, MOE_CASES),
    "moe_dense_gather": spec(MoEDenseGather, ["x"], ["y"], [(2, 7, 16)], MOE_AXES, MOE_CASES),
}

# Routing is a discontinuous function of the router logits: a token whose 2nd and 3rd expert probabilities nearly tie
# could pick a different expert under another implementation's rounding. Inputs are redrawn until every token's
# gap is at least this large.
MIN_ROUTING_GAP = 1e-3


# ---------------------------------------------------------------------------------------------------- export


def draw_inputs(s, shapes, gen):
    ins = []
    for shape in shapes:
        if s["int_high"] is not None:
            ins.append(torch.randint(0, s["int_high"], shape, generator=gen))
        else:
            ins.append(torch.randn(*shape, generator=gen))
    return ins


def routing_gap(model, inputs):
    if not isinstance(model, MoEBase):
        return float("inf")
    x = inputs[0]
    probs = model.router(x.reshape(-1, x.shape[-1])).softmax(-1).sort(-1, descending=True).values
    return float((probs[:, model.k - 1] - probs[:, model.k]).min())


def make_case_inputs(s, model, shapes, seed):
    gen = torch.Generator().manual_seed(seed)
    for _ in range(100):
        ins = draw_inputs(s, shapes, gen)
        if routing_gap(model, ins) >= MIN_ROUTING_GAP:
            return ins
    raise RuntimeError(f"no inputs with a routing gap >= {MIN_ROUTING_GAP}")


def run(model, inputs):
    # Grad stays enabled: under no_grad nn.TransformerEncoderLayer takes a fused fast path, while the exported graph
    # is the plain composition; the references should be computed by the math the graph encodes.
    out = model(*inputs)
    return [t.detach() for t in (out if isinstance(out, tuple) else (out,))]


def graph_io(path):
    m = onnx.load(path)
    onnx.checker.check_model(m)
    inits = {i.name for i in m.graph.initializer}
    ins = [i.name for i in m.graph.input if i.name not in inits]
    return ins, [o.name for o in m.graph.output], sorted({n.op_type for n in m.graph.node})


def save_case(out_dir, rel, inputs, outputs):
    os.makedirs(os.path.join(out_dir, rel), exist_ok=True)
    for i, t in enumerate(inputs):
        np.save(os.path.join(out_dir, rel, f"input_{i}.npy"), t.numpy())
    for i, t in enumerate(outputs):
        np.save(os.path.join(out_dir, rel, f"output_{i}.npy"), np.ascontiguousarray(t.numpy()))
    return {"dir": rel, "inputs": [list(t.shape) for t in inputs], "outputs": [list(t.shape) for t in outputs]}


def dtype_name(t):
    return str(t.numpy().dtype)


def export_variant(out_dir, name, s, model, traced_inputs, variant):
    file = f"{name}_{variant}.onnx"
    path = os.path.join(out_dir, file)
    axes = s["dynamic_axes"] if variant == "dynamic" else None
    torch.onnx.export(model, tuple(traced_inputs), path, input_names=s["inputs"], output_names=s["outputs"],
                      dynamic_axes=axes, opset_version=OPSET)
    ins, outs, ops = graph_io(path)
    if ins != s["inputs"] or outs != s["outputs"]:
        raise RuntimeError(f"{file}: graph io {ins} -> {outs}, expected {s['inputs']} -> {s['outputs']}")
    if variant == "static":
        case_inputs = [traced_inputs]
    else:
        case_inputs = [make_case_inputs(s, model, shapes, SEED + 1 + k) for k, shapes in enumerate(s["cases"])]
        for ci in case_inputs:
            if [tuple(t.shape) for t in ci] == [tuple(t.shape) for t in traced_inputs]:
                raise RuntimeError(f"{file}: a dynamic case repeats the traced shape")
    cases, outputs = [], None
    for k, ci in enumerate(case_inputs):
        outputs = run(model, ci)
        cases.append(save_case(out_dir, f"{name}_{variant}/case{k}", ci, outputs))
    return {
        "name": name, "variant": variant, "file": file,
        "inputs": ins, "input_dtypes": [dtype_name(t) for t in traced_inputs],
        "outputs": outs, "output_dtypes": [dtype_name(t) for t in outputs],
        "traced_inputs": [list(t.shape) for t in traced_inputs],
        "dynamic_axes": {n: {str(a): v for a, v in d.items()} for n, d in axes.items()} if axes else None,
        "rtol": s["rtol"], "atol": s["atol"], "ops": ops, "cases": cases,
    }


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--out", default=DEFAULT_OUT)
    args = ap.parse_args()
    out_dir = os.path.abspath(args.out)
    os.makedirs(out_dir, exist_ok=True)
    entries = []
    for name, s in MODELS.items():
        torch.manual_seed(SEED)
        model = s["factory"]().eval()
        traced_inputs = make_case_inputs(s, model, s["traced"], SEED)
        for variant in ("static", "dynamic"):
            entries.append(export_variant(out_dir, name, s, model, traced_inputs, variant))
        print(f"exported {name}: {', '.join(entries[-1]['ops'])}")
    manifest = {
        "generator": "scripts/gen-pytorch-fixtures.py",
        "torch": torch.__version__, "onnx": onnx.__version__, "opset": OPSET,
        # Loosest per-model tolerance, for consumers that use a single pair.
        "rtol": max(e["rtol"] for e in entries), "atol": max(e["atol"] for e in entries),
        "models": entries,
    }
    with open(os.path.join(out_dir, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
