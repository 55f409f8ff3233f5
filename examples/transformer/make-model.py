# Exports one pre-LayerNorm transformer block (causal multi-head self-attention + GELU MLP, residual connections)
# from PyTorch with a fixed seed, plus one input and PyTorch's output as .npy files for checking. Run with Debian's
# python3-torch and python3-onnx:
#   /usr/bin/python3 examples/transformer/make-model.py
# Writes model.onnx, input.npy ([1, 32, 64]) and expected.npy next to this script.
import os

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
D, HEADS, FFN, SEQ = 64, 4, 256, 32


class Block(nn.Module):
    """x + Attention(LN(x)), then + MLP(LN(.)); the attention is causal (a token sees itself and earlier ones)."""

    def __init__(self):
        super().__init__()
        self.ln1 = nn.LayerNorm(D)
        self.qkv = nn.Linear(D, 3 * D)
        self.proj = nn.Linear(D, D)
        self.ln2 = nn.LayerNorm(D)
        self.mlp = nn.Sequential(nn.Linear(D, FFN), nn.GELU(), nn.Linear(FFN, D))

    def forward(self, x):
        b, s, d = x.shape
        hd = d // HEADS
        q, k, v = self.qkv(self.ln1(x)).chunk(3, dim=-1)
        q, k, v = (t.reshape(b, s, HEADS, hd).transpose(1, 2) for t in (q, k, v))
        scores = (q @ k.transpose(-2, -1)) / hd ** 0.5
        causal = torch.triu(torch.ones(s, s, dtype=torch.bool), diagonal=1)
        attn = F.softmax(scores.masked_fill(causal, float("-inf")), dim=-1)
        x = x + self.proj((attn @ v).transpose(1, 2).reshape(b, s, d))
        return x + self.mlp(self.ln2(x))


def main():
    torch.manual_seed(0)
    model = Block().eval()
    x = torch.randn(1, SEQ, D)
    torch.onnx.export(model, x, os.path.join(HERE, "model.onnx"), input_names=["x"], output_names=["y"],
                      dynamic_axes={"x": {0: "batch", 1: "seq"}, "y": {0: "batch", 1: "seq"}}, opset_version=14)
    np.save(os.path.join(HERE, "input.npy"), x.numpy())
    with torch.no_grad():
        np.save(os.path.join(HERE, "expected.npy"), model(x).numpy())


if __name__ == "__main__":
    main()
