# Exports a top-2 mixture-of-experts layer from PyTorch with a fixed seed, plus one input and PyTorch's outputs as
# .npy files for checking. Run with Debian's python3-torch and python3-onnx:
#   /usr/bin/python3 examples/moe/make-model.py
# Writes model.onnx, input.npy ([32, 64]: 32 tokens), expected.npy (the layer's output) and expected_experts.npy
# (each token's two experts, int64) next to this script.
import os

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
D, EXPERTS, HIDDEN, K, TOKENS = 64, 8, 128, 2, 32


class MoE(nn.Module):
    """Router Linear -> softmax -> top-2, gates renormalised over the two. Each expert is Linear -> GELU -> Linear.
    Only the selected experts are computed: their weights are gathered per token (static shapes, so an
    ahead-of-time compiler can run it), then applied with batched products and mixed by the gates."""

    def __init__(self):
        super().__init__()
        self.router = nn.Linear(D, EXPERTS)
        self.w1 = nn.Parameter(torch.randn(EXPERTS, D, HIDDEN) / D ** 0.5)
        self.b1 = nn.Parameter(torch.randn(EXPERTS, HIDDEN) * 0.1)
        self.w2 = nn.Parameter(torch.randn(EXPERTS, HIDDEN, D) / HIDDEN ** 0.5)
        self.b2 = nn.Parameter(torch.randn(EXPERTS, D) * 0.1)

    def forward(self, x):  # x: [T, D]
        gates, experts = self.router(x).softmax(-1).topk(K, dim=-1)  # [T, K]
        gates = gates / gates.sum(-1, keepdim=True)
        h = F.gelu(torch.einsum("td,tkdh->tkh", x, self.w1[experts]) + self.b1[experts])  # [T, K, HIDDEN]
        y = torch.einsum("tkh,tkhd->tkd", h, self.w2[experts]) + self.b2[experts]  # [T, K, D]
        return (y * gates.unsqueeze(-1)).sum(1), experts


def routing_gap(model, x):
    """Smallest margin between a token's 2nd and 3rd expert probability: near-ties could route differently under
    another implementation's rounding, so the example input keeps every margin clear."""
    p = model.router(x).softmax(-1).sort(-1, descending=True).values
    return float((p[:, K - 1] - p[:, K]).min())


def main():
    torch.manual_seed(0)
    model = MoE().eval()
    gen = torch.Generator().manual_seed(1)
    x = torch.randn(TOKENS, D, generator=gen)
    while routing_gap(model, x) < 1e-3:
        x = torch.randn(TOKENS, D, generator=gen)
    torch.onnx.export(model, x, os.path.join(HERE, "model.onnx"), input_names=["x"], output_names=["y", "experts"],
                      dynamic_axes={"x": {0: "tokens"}, "y": {0: "tokens"}, "experts": {0: "tokens"}}, opset_version=14)
    with torch.no_grad():
        y, experts = model(x)
    np.save(os.path.join(HERE, "input.npy"), x.numpy())
    np.save(os.path.join(HERE, "expected.npy"), y.numpy())
    np.save(os.path.join(HERE, "expected_experts.npy"), experts.numpy())
    print("expert load:", np.bincount(experts.numpy().ravel(), minlength=EXPERTS).tolist())


if __name__ == "__main__":
    main()
