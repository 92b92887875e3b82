#!/usr/bin/env python3
"""Writes the torchvision-interop fixtures (reduced vgg11 / vgg11_bn state_dicts, an input batch, eval-mode logits).

Run through tools/make_torchvision_fixtures.sh, which uses the .venv-fixtures virtual environment of
tools/make_fixtures.sh. torchvision itself is not needed (PyPI's torchvision wheels cannot load next
to a CPU-only torch): `VGG` and `make_layers` below reproduce torchvision/models/vgg.py line for line
in structure (features Sequential built from the cfgs, avgpool AdaptiveAvgPool2d((7, 7)), flatten,
classifier Linear/ReLU/Dropout x2 + Linear), so the state_dict names and shapes are torchvision's.
When torchvision is importable, the names and shapes are cross-checked against torchvision.models.vgg11.

Fixtures (Tests/VGGTests/Fixtures), each with a fixed seed, CPU, one thread:

  tv_vgg11_tiny.safetensors      state_dict of vgg11 with every conv width / 16, classifier width 64,
                                 10 classes (exactly what state_dict() holds, saved with save_file)
  tv_vgg11_tiny_io.safetensors   input [2, 3, 64, 96] and logits [2, 10] (eval mode)
  tv_vgg11_bn_tiny.safetensors   the same for vgg11_bn (num_batches_tracked is I64, shape [])
  tv_vgg11_bn_tiny_io.safetensors

The 64x96 input leaves a 2x3 final feature map, which the 7x7 avgpool resamples with overlapping
bins, so the avgpool/flatten path (and H/W order) is exercised. Weights are torchvision's init,
then perturbed so every tensor matters: biases and BN affine parameters random, BN running
statistics random (running_var in [0.5, 1.5]), num_batches_tracked 1234, and the linear layers
drawn with std sqrt(2 / fan_in) instead of 0.01 so the logits are O(1).

--full-check VGG_BINARY additionally runs a full-size vgg11 (random torchvision-init weights, 1000
classes, one 3x224x224 image) through `VGG_BINARY infer` and prints the max relative difference of
the logits; then imports and re-exports the weights with `VGG_BINARY import` / `export` and loads the
export into the model with load_state_dict(strict=True), checking every tensor is bit-identical.
The big files go to a temporary directory and are deleted.
"""

import argparse
import os
import subprocess
import sys
import tempfile

import torch
import torch.nn as nn
from safetensors.torch import load_file, save_file

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
VGG_DIR = os.path.join(ROOT, "Tests", "VGGTests", "Fixtures")
TORCH_VERSION = torch.__version__.split("+")[0]

# torchvision/models/vgg.py
cfgs = {
    "A": [64, "M", 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M"],
    "B": [64, 64, "M", 128, 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M"],
    "D": [64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M", 512, 512, 512, "M"],
    "E": [64, 64, "M", 128, 128, "M", 256, 256, 256, 256, "M", 512, 512, 512, 512, "M", 512, 512, 512, 512, "M"],
}


def make_layers(cfg, batch_norm=False, divisor=1):
    """torchvision's make_layers, with every conv width divided by `divisor`."""
    layers = []
    in_channels = 3
    for v in cfg:
        if v == "M":
            layers += [nn.MaxPool2d(kernel_size=2, stride=2)]
        else:
            v = v // divisor
            conv2d = nn.Conv2d(in_channels, v, kernel_size=3, padding=1)
            if batch_norm:
                layers += [conv2d, nn.BatchNorm2d(v), nn.ReLU(inplace=True)]
            else:
                layers += [conv2d, nn.ReLU(inplace=True)]
            in_channels = v
    return nn.Sequential(*layers)


class VGG(nn.Module):
    """torchvision's VGG, with the 512 final channels and 4096 hidden width as parameters."""

    def __init__(self, features, num_classes=1000, init_weights=True, dropout=0.5, final_channels=512, width=4096):
        super().__init__()
        self.features = features
        self.avgpool = nn.AdaptiveAvgPool2d((7, 7))
        self.classifier = nn.Sequential(
            nn.Linear(final_channels * 7 * 7, width),
            nn.ReLU(True),
            nn.Dropout(p=dropout),
            nn.Linear(width, width),
            nn.ReLU(True),
            nn.Dropout(p=dropout),
            nn.Linear(width, num_classes),
        )
        if init_weights:
            for m in self.modules():
                if isinstance(m, nn.Conv2d):
                    nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
                    if m.bias is not None:
                        nn.init.constant_(m.bias, 0)
                elif isinstance(m, nn.BatchNorm2d):
                    nn.init.constant_(m.weight, 1)
                    nn.init.constant_(m.bias, 0)
                elif isinstance(m, nn.Linear):
                    nn.init.normal_(m.weight, 0, 0.01)
                    nn.init.constant_(m.bias, 0)

    def forward(self, x):
        x = self.features(x)
        x = self.avgpool(x)
        x = torch.flatten(x, 1)
        x = self.classifier(x)
        return x


def vgg(cfg, batch_norm, divisor=1, **kwargs):
    return VGG(make_layers(cfgs[cfg], batch_norm=batch_norm, divisor=divisor), final_channels=512 // divisor, **kwargs)


def perturb(model):
    """Makes every tensor of the state_dict matter (see the module docstring)."""
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, nn.Conv2d):
                m.bias.normal_(0, 0.1)
            elif isinstance(m, nn.BatchNorm2d):
                m.weight.uniform_(0.5, 1.5)
                m.bias.normal_(0, 0.1)
                m.running_mean.normal_(0, 0.2)
                m.running_var.uniform_(0.5, 1.5)
                m.num_batches_tracked.fill_(1234)
            elif isinstance(m, nn.Linear):
                m.weight.normal_(0, (2.0 / m.in_features) ** 0.5)
                m.bias.normal_(0, 0.1)


def cross_check_with_torchvision(model, batch_norm):
    try:
        import torchvision  # noqa: F401
    except Exception:
        return
    reference = (torchvision.models.vgg11_bn if batch_norm else torchvision.models.vgg11)(weights=None)
    ours = vgg("A", batch_norm)
    a = {k: tuple(v.shape) for k, v in reference.state_dict().items()}
    b = {k: tuple(v.shape) for k, v in ours.state_dict().items()}
    assert a == b, "state_dict names or shapes differ from torchvision's"
    print(f"cross-checked names and shapes against torchvision {torchvision.__version__}")


written = []


def save(name, tensors, description):
    os.makedirs(VGG_DIR, exist_ok=True)
    path = os.path.join(VGG_DIR, name)
    out = {k: v.detach().contiguous().clone() for k, v in tensors.items()}
    # One metadata entry only (several would be written in hash order: bytes would vary).
    save_file(out, path, metadata={"fixture": f"tools/make_torchvision_fixtures.py, torch {TORCH_VERSION}; {description}"})
    os.chmod(path, 0o644)
    size = os.path.getsize(path)
    assert size < 600_000, f"{path} is {size} bytes, over the 600 KB budget"
    written.append((path, size))


def tiny_fixture(batch_norm, seed):
    torch.manual_seed(seed)
    model = vgg("A", batch_norm, divisor=16, num_classes=10, width=64)
    perturb(model)
    model.eval()
    x = torch.randn(2, 3, 64, 96)
    with torch.no_grad():
        logits = model(x)
    name = "tv_vgg11_bn_tiny" if batch_norm else "tv_vgg11_tiny"
    module = f"vgg11{'_bn' if batch_norm else ''} (torchvision layout), conv widths / 16, classifier 64, 10 classes"
    state = model.state_dict()
    # strict reload of what is written, as a user would do
    model.load_state_dict(state, strict=True)
    save(f"{name}.safetensors", state, f"state_dict of {module}")
    save(f"{name}_io.safetensors", {"input": x, "logits": logits}, f"input [2,3,64,96] and eval-mode logits of {module}")
    cross_check_with_torchvision(model, batch_norm)


def full_check(binary):
    """Full-size vgg11 through `vgg infer`, and `vgg import` + `vgg export` back into torch."""
    torch.manual_seed(42)
    model = vgg("A", False)
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, (nn.Conv2d, nn.Linear)):
                m.bias.normal_(0, 0.01)
    model.eval()
    x = torch.randn(1, 3, 224, 224)
    with torch.no_grad():
        expected = model(x)
    with tempfile.TemporaryDirectory(prefix="vgg-full-check-") as tmp:
        weights = os.path.join(tmp, "vgg11.safetensors")
        save_file({k: v.contiguous() for k, v in model.state_dict().items()}, weights)
        save_file({"input": x}, os.path.join(tmp, "input.safetensors"))
        subprocess.run([binary, "infer", "--arch", "A", "--weights", weights, "--input", os.path.join(tmp, "input.safetensors"),
                        "--out", os.path.join(tmp, "logits.safetensors")], check=True)
        got = load_file(os.path.join(tmp, "logits.safetensors"))["logits"]
        assert got.shape == expected.shape, f"logits shape {tuple(got.shape)}, expected {tuple(expected.shape)}"
        diff = (got - expected).abs().max().item()
        scale = expected.abs().max().item()
        print(f"full-size vgg11, one 224x224 image: max |diff| {diff:.3e}, max |logit| {scale:.3e}, "
              f"max relative diff {diff / scale:.3e}; top-1 {'agrees' if got.argmax() == expected.argmax() else 'DIFFERS'}")

        checkpoint = os.path.join(tmp, "vgg11.ckpt")
        exported = os.path.join(tmp, "exported.safetensors")
        subprocess.run([binary, "import", "--arch", "A", "--weights", weights, "--out", checkpoint], check=True)
        subprocess.run([binary, "export", "--checkpoint", checkpoint, "--out", exported], check=True)
        state = load_file(exported)
        fresh = vgg("A", False)
        fresh.load_state_dict(state, strict=True)
        same = all(torch.equal(state[k], v) for k, v in model.state_dict().items())
        print(f"import + export round trip: load_state_dict(strict=True) ok, tensors bit-identical: {same}")
        if diff / scale > 1e-4 or not same:
            sys.exit(1)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--full-check", metavar="VGG_BINARY",
                        help="also compare a full-size vgg11 with `VGG_BINARY infer` (e.g. .build/release/vgg)")
    parser.add_argument("--skip-fixtures", action="store_true", help="do not rewrite the fixture files")
    args = parser.parse_args()
    torch.set_num_threads(1)
    if not args.skip_fixtures:
        tiny_fixture(batch_norm=False, seed=11)
        tiny_fixture(batch_norm=True, seed=12)
        for path, size in written:
            print(f"wrote {os.path.relpath(path, ROOT)} ({size} bytes)")
    if args.full_check:
        torch.set_num_threads(os.cpu_count() or 1)
        full_check(args.full_check)


if __name__ == "__main__":
    main()
