# Exports the example MLP (784 -> 128 -> 64 -> 10, ReLU) from PyTorch with a fixed seed, plus one input and
# PyTorch's output as .npy files for checking. Run with Debian's python3-torch and python3-onnx:
#   /usr/bin/python3 examples/mlp/make-model.py
import os
import numpy as np
import torch

here = os.path.dirname(os.path.abspath(__file__))
torch.manual_seed(0)
model = torch.nn.Sequential(
    torch.nn.Linear(784, 128), torch.nn.ReLU(),
    torch.nn.Linear(128, 64), torch.nn.ReLU(),
    torch.nn.Linear(64, 10),
).eval()
x = torch.randn(4, 784)
torch.onnx.export(model, x, os.path.join(here, "model.onnx"), input_names=["x"], output_names=["logits"],
                  dynamic_axes={"x": {0: "batch"}, "logits": {0: "batch"}}, opset_version=13)
np.save(os.path.join(here, "input.npy"), x.numpy())
with torch.no_grad():
    np.save(os.path.join(here, "expected.npy"), model(x).numpy())
