# PyTorch-exported ONNX fixtures with PyTorch's own outputs as references, for the frontend tests.
# Run once with Debian's python3-torch (1.13) and python3-onnx (1.12):
#   /usr/bin/python3 scripts/gen-pytorch-fixtures.py
# Writes packages/frontend/test/fixtures/pytorch/<model>_<static|dynamic>.onnx, their cases as .npy files and
# manifest.json. Each model is exported twice: with fixed shapes, and with dynamic axes; dynamic variants are
# checked at two shapes other than the traced one. Seeds are fixed, sizes small.
import json
import os

import numpy as np
import onnx
import torch
import torch.nn as nn
import torch.nn.functional as F

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "packages", "frontend", "test", "fixtures", "pytorch")
OPSET = 14


class MLP(nn.Module):
    def __init__(self):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(16, 32), nn.ReLU(), nn.Linear(32, 32), nn.Tanh(), nn.Linear(32, 5))

    def forward(self, x):
        return self.net(x)


class CNNBN(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 8, 3, padding=1)
        self.bn = nn.BatchNorm2d(8)
        self.conv2 = nn.Conv2d(8, 8, 3, stride=2)
        self.fc = nn.Linear(8, 4)

    def forward(self, x):
        y = F.max_pool2d(F.relu(self.bn(self.conv(x))), 2)
        y = F.relu(self.conv2(y))
        return self.fc(y.mean(dim=(2, 3)))


class DWSepUpsample(nn.Module):
    def __init__(self):
        super().__init__()
        self.dw = nn.Conv2d(6, 6, 3, padding=1, groups=6)
        self.pw = nn.Conv2d(6, 4, 1)
        self.up_n = nn.Upsample(scale_factor=2, mode="nearest")
        self.up_b = nn.Upsample(scale_factor=2, mode="bilinear", align_corners=False)

    def forward(self, x):
        y = F.relu(self.pw(self.dw(x)))
        return self.up_n(y) + self.up_b(y)


class Attention(nn.Module):
    """Hand-written attention with LayerNorm, GELU (erf) and a causal mask."""

    def __init__(self, d=16, h=2):
        super().__init__()
        self.h = h
        self.ln = nn.LayerNorm(d)
        self.qkv = nn.Linear(d, 3 * d)
        self.proj = nn.Linear(d, d)
        self.ff = nn.Sequential(nn.Linear(d, 32), nn.GELU(), nn.Linear(32, d))

    def forward(self, x):
        b, s, d = x.shape
        q, k, v = self.qkv(self.ln(x)).chunk(3, dim=-1)
        q = q.reshape(b, s, self.h, d // self.h).transpose(1, 2)
        k = k.reshape(b, s, self.h, d // self.h).transpose(1, 2)
        v = v.reshape(b, s, self.h, d // self.h).transpose(1, 2)
        att = q @ k.transpose(-2, -1) / (d // self.h) ** 0.5
        mask = torch.triu(torch.ones(s, s, dtype=torch.bool), diagonal=1)
        att = att.masked_fill(mask, float("-inf")).softmax(-1)
        y = (att @ v).transpose(1, 2).reshape(b, s, d)
        x = x + self.proj(y)
        return x + self.ff(x)


class TinyGPT(nn.Module):
    def __init__(self, vocab=50, d=16, ctx=16):
        super().__init__()
        self.tok = nn.Embedding(vocab, d)
        self.pos = nn.Embedding(ctx, d)
        self.block = Attention(d)
        self.ln = nn.LayerNorm(d)
        self.head = nn.Linear(d, vocab, bias=False)

    def forward(self, ids):
        s = ids.shape[1]
        pos = torch.arange(s).unsqueeze(0)
        return self.head(self.ln(self.block(self.tok(ids) + self.pos(pos))))


class Encoder(nn.Module):
    def __init__(self):
        super().__init__()
        self.layer = nn.TransformerEncoderLayer(d_model=32, nhead=4, dim_feedforward=64, batch_first=True, dropout=0.0)

    def forward(self, x):
        return self.layer(x)


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
    def __init__(self, d=16, e=4, hidden=24):
        super().__init__()
        self.e = e
        self.router = nn.Linear(d, e)
        self.w1 = nn.Parameter(torch.randn(e, d, hidden) * 0.2)
        self.w2 = nn.Parameter(torch.randn(e, hidden, d) * 0.2)

    def route(self, x):
        probs = self.router(x).softmax(-1)
        gates, idx = probs.topk(2, dim=-1)
        return gates / gates.sum(-1, keepdim=True), idx


class MoELoop(MoEBase):
    """Loop over experts with masks and index_add."""

    def forward(self, x):
        gates, idx = self.route(x)
        out = torch.zeros_like(x)
        for e in range(self.e):
            sel = (idx == e)
            w = (gates * sel).sum(-1, keepdim=True)
            y = F.gelu(x @ self.w1[e]) @ self.w2[e]
            tokens = torch.arange(x.shape[0])
            out = out.index_add(0, tokens, y * w)
        return out


class MoEDenseMask(MoEBase):
    """All experts computed densely, weighted by a routing mask."""

    def forward(self, x):
        gates, idx = self.route(x)
        onehot = F.one_hot(idx, self.e).to(x.dtype)
        weights = (onehot * gates.unsqueeze(-1)).sum(1)
        h = F.gelu(torch.einsum("td,edh->teh", x, self.w1))
        y = torch.einsum("teh,ehd->ted", h, self.w2)
        return (y * weights.unsqueeze(-1)).sum(1)


class MoEDenseGather(MoEBase):
    """All experts computed densely (stacked), then the top-k gathered."""

    def forward(self, x):
        gates, idx = self.route(x)
        h = F.gelu(torch.einsum("td,edh->teh", x, self.w1))
        y = torch.einsum("teh,ehd->ted", h, self.w2)
        picked = torch.gather(y, 1, idx.unsqueeze(-1).expand(-1, -1, y.shape[-1]))
        return (picked * gates.unsqueeze(-1)).sum(1)


def seq_input(shape):
    return lambda: torch.randn(*shape)


# name -> (factory, traced input makers, dynamic axes per input, two other shapes for the dynamic variant)
MODELS = {
    "mlp": (MLP, [lambda: torch.randn(3, 16)], [{0: "batch"}], [[(5, 16)], [(1, 16)]]),
    "cnn_bn": (CNNBN, [lambda: torch.randn(2, 3, 12, 12)], [{0: "batch"}], [[(3, 3, 12, 12)], [(1, 3, 12, 12)]]),
    "dwsep_upsample": (DWSepUpsample, [lambda: torch.randn(1, 6, 5, 7)], [{0: "batch", 2: "h", 3: "w"}], [[(2, 6, 4, 4)], [(1, 6, 6, 3)]]),
    "transformer_encoder": (Encoder, [lambda: torch.randn(2, 6, 32)], [{0: "batch", 1: "seq"}], [[(1, 9, 32)], [(3, 4, 32)]]),
    "attention_block": (Attention, [lambda: torch.randn(2, 7, 16)], [{0: "batch", 1: "seq"}], [[(1, 5, 16)], [(3, 9, 16)]]),
    "tiny_gpt": (TinyGPT, [lambda: torch.randint(0, 50, (2, 7))], [{0: "batch", 1: "seq"}], [[(1, 5)], [(3, 11)]]),
    "lstm2": (LSTM2, [lambda: torch.randn(2, 7, 8)], [{0: "batch", 1: "seq"}], [[(1, 4, 8)], [(3, 9, 8)]]),
    "bigru": (BiGRU, [lambda: torch.randn(2, 7, 8)], [{0: "batch", 1: "seq"}], [[(1, 4, 8)], [(3, 9, 8)]]),
    "moe_loop": (MoELoop, [lambda: torch.randn(6, 16)], [{0: "tokens"}], [[(9, 16)], [(2, 16)]]),
    "moe_dense_mask": (MoEDenseMask, [lambda: torch.randn(6, 16)], [{0: "tokens"}], [[(9, 16)], [(2, 16)]]),
    "moe_dense_gather": (MoEDenseGather, [lambda: torch.randn(6, 16)], [{0: "tokens"}], [[(9, 16)], [(2, 16)]]),
}


def make_like(example, shape):
    if example.dtype == torch.int64:
        return torch.randint(0, 50, shape)
    return torch.randn(*shape)


def run(model, inputs):
    with torch.no_grad():
        out = model(*inputs)
    return list(out) if isinstance(out, tuple) else [out]


def save_case(folder, inputs, outputs):
    os.makedirs(folder, exist_ok=True)
    for i, t in enumerate(inputs):
        np.save(os.path.join(folder, f"input_{i}.npy"), t.numpy())
    for i, t in enumerate(outputs):
        np.save(os.path.join(folder, f"output_{i}.npy"), t.numpy())


def main():
    os.makedirs(OUT, exist_ok=True)
    manifest = {"torch": torch.__version__, "onnx": onnx.__version__, "opset": OPSET, "rtol": 1e-4, "atol": 1e-5, "models": []}
    for name, (factory, makers, dyn, other_shapes) in MODELS.items():
        torch.manual_seed(0)
        model = factory().eval()
        inputs = [m() for m in makers]
        outputs = run(model, inputs)
        in_names = [f"input_{i}" for i in range(len(inputs))]
        out_names = [f"output_{i}" for i in range(len(outputs))]
        for variant in ("static", "dynamic"):
            file = f"{name}_{variant}.onnx"
            axes = None
            if variant == "dynamic":
                axes = {n: d for n, d in zip(in_names, dyn)}
                for o in out_names:
                    axes[o] = {0: "batch_out"}
            torch.onnx.export(model, tuple(inputs), os.path.join(OUT, file), input_names=in_names, output_names=out_names,
                              dynamic_axes=axes, opset_version=OPSET)
            onnx.checker.check_model(onnx.load(os.path.join(OUT, file)))
            cases = []
            if variant == "static":
                save_case(os.path.join(OUT, f"{name}_static", "case0"), inputs, outputs)
                cases.append({"dir": f"{name}_static/case0", "inputs": [list(t.shape) for t in inputs]})
            else:
                for k, shapes in enumerate(other_shapes):
                    torch.manual_seed(k + 1)
                    ins = [make_like(inputs[i], s) for i, s in enumerate(shapes)]
                    save_case(os.path.join(OUT, f"{name}_dynamic", f"case{k}"), ins, run(model, ins))
                    cases.append({"dir": f"{name}_dynamic/case{k}", "inputs": [list(s) for s in shapes]})
            manifest["models"].append({"file": file, "inputs": in_names, "outputs": out_names, "cases": cases})
        print("exported", name)
    with open(os.path.join(OUT, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=1)


if __name__ == "__main__":
    main()
