# Trains a small CNN to tell five procedurally drawn shapes apart (disk, square, ring, horizontal stripes,
# vertical stripes) on 32x32 RGB images, exports it to ONNX, and saves PyTorch's logits for the five test images
# that run.mjs draws. Seeds are fixed; training takes well under a minute on one core. Run with Debian's
# python3-torch and python3-onnx:
#   /usr/bin/python3 examples/cnn/make-model.py
# Writes model.onnx, expected.npy (PyTorch's logits, [5, 5]) and classes.json next to this script.
import json
import os

import numpy as np
import torch
import torch.nn as nn

HERE = os.path.dirname(os.path.abspath(__file__))
SIZE = 32
CLASSES = ["disk", "square", "ring", "horizontal stripes", "vertical stripes"]


def draw(kind, cx, cy, r, fg, bg):
    """One [3, SIZE, SIZE] float32 image. Only exact arithmetic (integer coordinates, comparisons), so run.mjs
    draws bit-identical pixels; keep the two in step."""
    y, x = np.mgrid[0:SIZE, 0:SIZE].astype(np.float64)
    d2 = (x - cx) ** 2 + (y - cy) ** 2
    if kind == 0:
        mask = d2 <= r * r
    elif kind == 1:
        mask = (np.abs(x - cx) <= r) & (np.abs(y - cy) <= r)
    elif kind == 2:
        mask = (d2 <= r * r) & (d2 >= (r - 3) * (r - 3))
    elif kind == 3:
        mask = np.floor(y / r) % 2 == 0
    else:
        mask = np.floor(x / r) % 2 == 0
    fg = np.asarray(fg, np.float64)[:, None, None]
    bg = np.asarray(bg, np.float64)[:, None, None]
    return np.where(mask[None], fg, bg).astype(np.float32)


# The test images run.mjs draws: one per class, (kind, cx, cy, r, fg, bg).
TEST_IMAGES = [
    (0, 15, 17, 9, (0.9, 0.2, 0.1), (0.1, 0.1, 0.3)),
    (1, 12, 14, 7, (0.2, 0.8, 0.3), (0.9, 0.9, 0.8)),
    (2, 17, 15, 11, (1.0, 0.9, 0.2), (0.2, 0.1, 0.4)),
    (3, 0, 0, 4, (0.1, 0.3, 0.9), (0.95, 0.95, 0.95)),
    (4, 0, 0, 5, (0.0, 0.0, 0.0), (0.8, 0.6, 0.3)),
]


def random_image(rng):
    kind = int(rng.integers(0, 5))
    fg, bg = rng.uniform(0, 1, 3), rng.uniform(0, 1, 3)
    while np.abs(fg - bg).max() < 0.35:  # keep the shape visible
        fg, bg = rng.uniform(0, 1, 3), rng.uniform(0, 1, 3)
    if kind in (3, 4):
        cx, cy, r = 0, 0, int(rng.integers(2, 7))
    else:
        r = int(rng.integers(5, 13))
        cx, cy = int(rng.integers(r - 2, SIZE - r + 2)), int(rng.integers(r - 2, SIZE - r + 2))
    img = draw(kind, cx, cy, r, fg, bg) + rng.normal(0, 0.04, (3, SIZE, SIZE)).astype(np.float32)
    return img, kind


class SmallCNN(nn.Module):
    def __init__(self):
        super().__init__()

        def block(cin, cout):
            return [nn.Conv2d(cin, cout, 3, padding=1), nn.BatchNorm2d(cout), nn.ReLU()]

        self.features = nn.Sequential(*block(3, 16), nn.MaxPool2d(2), *block(16, 32), nn.MaxPool2d(2),
                                      *block(32, 64), nn.AdaptiveAvgPool2d(1), nn.Flatten())
        self.head = nn.Linear(64, len(CLASSES))

    def forward(self, x):
        return self.head(self.features(x))


def main():
    torch.manual_seed(0)
    torch.set_num_threads(1)
    rng = np.random.default_rng(0)
    data = [random_image(rng) for _ in range(6000)]
    xs = torch.from_numpy(np.stack([d[0] for d in data]))
    ys = torch.tensor([d[1] for d in data])
    train_x, train_y, test_x, test_y = xs[:5000], ys[:5000], xs[5000:], ys[5000:]
    model = SmallCNN()
    opt = torch.optim.Adam(model.parameters(), lr=3e-3)
    sched = torch.optim.lr_scheduler.StepLR(opt, step_size=2, gamma=0.3)
    for epoch in range(6):
        model.train()
        perm = torch.randperm(len(train_x))
        for i in range(0, len(perm), 64):
            idx = perm[i:i + 64]
            loss = nn.functional.cross_entropy(model(train_x[idx]), train_y[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
        sched.step()
        model.eval()
        with torch.no_grad():
            acc = (model(test_x).argmax(1) == test_y).float().mean().item()
        print(f"epoch {epoch}: loss {loss.item():.3f}, held-out accuracy {acc:.3f}")

    images = torch.from_numpy(np.stack([draw(*t) for t in TEST_IMAGES]))
    torch.onnx.export(model, images, os.path.join(HERE, "model.onnx"), input_names=["image"], output_names=["logits"],
                      dynamic_axes={"image": {0: "batch"}, "logits": {0: "batch"}}, opset_version=14)
    with torch.no_grad():
        logits = model(images)
    np.save(os.path.join(HERE, "expected.npy"), logits.numpy())
    with open(os.path.join(HERE, "classes.json"), "w") as f:
        json.dump(CLASSES, f)
        f.write("\n")
    print("test images classified as", [CLASSES[i] for i in logits.argmax(1).tolist()])


if __name__ == "__main__":
    main()
