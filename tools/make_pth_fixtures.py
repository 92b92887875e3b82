#!/usr/bin/env python3
"""Writes the PyTorch .pth fixtures (torch.save zip files, hand-made malicious and corrupt ones).

Run through tools/make_pth_fixtures.sh (the .venv-fixtures virtual environment of
tools/make_fixtures.sh). The normal tests only read the files this writes.

Tests/TensorsTests/Fixtures/pth (reader fixtures, a few KB each):

  f32.pth            float32 matrix, scalar, 1-D, empty [0, 3] tensor, an int64 vector
  f16.pth            float16 tensors (normal, subnormal and large values)
  bf16.pth           bfloat16 tensors
  shared.pth         one storage viewed by several tensors (row, column, block, whole)
  noncontiguous.pth  a transposed matrix, a permuted 3-D tensor, a stride-0 expanded column
  parameter.pth      nn.Parameter values (torch._utils._rebuild_parameter)
  nested.pth         {"epoch": 3, "state_dict": {...}}: a training checkpoint holding a state_dict
  deflated.pth       f32.pth with every entry deflated (torch.save stores them uncompressed)
  bigendian.pth      f32.pth as a big-endian machine writes it (byteorder "big", swapped storages)
  expected.safetensors  every tensor of the files above as F32, named "<file stem>/<key>"

  Files that must be refused (made by hand, never unpickled here):
  malicious_os_system.pth     data.pkl = GLOBAL os.system + REDUCE("touch /tmp/vgg-swift-pth-pwned")
  malicious_nested.pth        a valid state_dict whose second value is builtins.exec("...") via STACK_GLOBAL
  malicious_storage_call.pth  REDUCE of torch.FloatStorage (allowed as a name, not as a callable)
  legacy.pth                  torch.save(..., _use_new_zipfile_serialization=False) (pre-1.6 format)
  not_state_dict.pth          torch.save({"epoch": 3, "lr": 0.1})
  truncated.pth               f32.pth cut in half
  truncated_pickle.pth        a well-formed zip whose data.pkl is cut short (CRC matching the cut bytes)
  corrupt_crc.pth             f32.pth with one byte of a storage flipped
  bad_view.pth                a tensor of 10 elements viewing a storage of 4

Tests/VGGTests/Fixtures (the logits check):

  tv_vgg11_tiny.pth / tv_vgg11_bn_tiny.pth  torch.save(model.state_dict()) of vgg11 / vgg11_bn in
      torchvision's layout (the structure of tools/make_torchvision_fixtures.py, which reproduces
      torchvision/models/vgg.py), every conv width / 32, classifier width 32, 10 classes, weights
      perturbed so every tensor matters
  tv_vgg11_tiny_pth_io.safetensors / tv_vgg11_bn_tiny_pth_io.safetensors  input [2, 3, 48, 64] and the
      eval-mode logits [2, 10] torch computes

torch.save writes a random serialization id into each archive, so reruns differ in those bytes.

--full-check VGG_BINARY: a full-size vgg11 (torchvision's init, random, 1000 classes) saved with
torch.save to a temporary .pth, then `vgg import --weights x.pth` and `vgg infer --weights x.pth` on
one 3x224x224 image; prints the max relative difference of the logits from torch's.
"""

import argparse
import io
import os
import struct
import subprocess
import sys
import tempfile
import zipfile
from collections import OrderedDict

import torch
import torch.nn as nn
from safetensors.torch import load_file, save_file

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from make_torchvision_fixtures import perturb, vgg  # noqa: E402  (torchvision's vgg.py structure)

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PTH_DIR = os.path.join(ROOT, "Tests", "TensorsTests", "Fixtures", "pth")
VGG_DIR = os.path.join(ROOT, "Tests", "VGGTests", "Fixtures")
TORCH_VERSION = torch.__version__.split("+")[0]

written = []


def path(name, directory=PTH_DIR):
    os.makedirs(directory, exist_ok=True)
    return os.path.join(directory, name)


def note(p):
    os.chmod(p, 0o644)
    written.append((p, os.path.getsize(p)))


def save_pth(name, obj, directory=PTH_DIR, **kwargs):
    p = path(name, directory)
    torch.save(obj, p, **kwargs)
    note(p)
    return p


def write_bytes(name, data):
    p = path(name)
    with open(p, "wb") as f:
        f.write(data)
    note(p)
    return p


def zip_entries(p):
    with zipfile.ZipFile(p) as z:
        return [(i.filename, z.read(i.filename)) for i in z.infolist()]


def write_zip(name, entries, compression=zipfile.ZIP_STORED):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=compression) as z:
        for filename, data in entries:
            info = zipfile.ZipInfo(filename, date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = compression
            z.writestr(info, data)
    return write_bytes(name, buffer.getvalue())


# A few pickle opcodes, to assemble the malicious and malformed data.pkl by hand.
def unicode(s):
    b = s.encode()
    return b"X" + struct.pack("<I", len(b)) + b


def global_(module, name):
    return b"c" + module.encode() + b"\n" + name.encode() + b"\n"


def archive(pickle_bytes, storages=()):
    return [("archive/data.pkl", pickle_bytes), ("archive/byteorder", b"little"), ("archive/version", b"3\n")] + [
        (f"archive/data/{k}", v) for k, v in storages]


def storage_pid(key, numel, kind="FloatStorage"):
    # ('storage', torch.FloatStorage, key, 'cpu', numel) BINPERSID
    return b"(" + unicode("storage") + global_("torch", kind) + unicode(key) + unicode("cpu") + b"J" + struct.pack("<i", numel) + b"tQ"


def int_tuple(values):
    return b"(" + b"".join(b"J" + struct.pack("<i", v) for v in values) + b"t"


def tensor(key, numel, offset, size, stride):
    # _rebuild_tensor_v2(storage, offset, size, stride, False, OrderedDict())
    return (global_("torch._utils", "_rebuild_tensor_v2") + b"(" + storage_pid(key, numel) + b"J" + struct.pack("<i", offset)
            + int_tuple(size) + int_tuple(stride) + b"\x89" + global_("collections", "OrderedDict") + b")R" + b"tR")


def reader_fixtures():
    torch.manual_seed(2024)
    expected = {}

    def record(stem, state):
        for k, v in state.items():
            expected[f"{stem}/{k}"] = v.detach().to(torch.float32).contiguous().clone()

    f32 = OrderedDict([("matrix", torch.randn(3, 4)), ("scalar", torch.tensor(2.5)), ("vector", torch.randn(7)),
                       ("empty", torch.zeros(0, 3)), ("long", torch.tensor([1, -2, 1234], dtype=torch.int64))])
    f32_path = save_pth("f32.pth", f32)
    record("f32", f32)

    f16 = OrderedDict([("weight", torch.randn(4, 3).half()), ("special", torch.tensor([6e-8, 1e-5, 65504.0, -0.0, -3.0], dtype=torch.float16))])
    save_pth("f16.pth", f16)
    record("f16", f16)

    bf16 = OrderedDict([("weight", torch.randn(2, 5).bfloat16()), ("big", torch.tensor([1e30, -1e-30, 3.0], dtype=torch.bfloat16))])
    save_pth("bf16.pth", bf16)
    record("bf16", bf16)

    base = torch.randn(4, 5)
    shared = OrderedDict([("base", base), ("row", base[1]), ("column", base[:, 2]), ("block", base[1:3, 2:5])])
    save_pth("shared.pth", shared)
    record("shared", shared)

    noncontiguous = OrderedDict([("transposed", torch.randn(3, 5).t()), ("permuted", torch.randn(2, 3, 4).permute(2, 0, 1)),
                                 ("expanded", torch.randn(3, 1).expand(3, 4))])
    assert not any(v.is_contiguous() for v in noncontiguous.values())
    save_pth("noncontiguous.pth", noncontiguous)
    record("noncontiguous", noncontiguous)

    parameter = OrderedDict([("weight", nn.Parameter(torch.randn(2, 3))), ("bias", nn.Parameter(torch.randn(2)))])
    save_pth("parameter.pth", parameter)
    record("parameter", parameter)

    inner = OrderedDict([("features.0.weight", torch.randn(2, 1, 3, 3)), ("features.0.bias", torch.randn(2))])
    save_pth("nested.pth", {"epoch": 3, "state_dict": inner})
    record("nested", inner)

    entries = zip_entries(f32_path)
    write_zip("deflated.pth", entries, compression=zipfile.ZIP_DEFLATED)
    record("deflated", f32)

    def swap(name, data):
        if name.endswith("/byteorder"):
            return b"big"
        if "/data/" in name:
            width = 8 if name.endswith("/4") else 4  # storage 4 is the int64 tensor
            return b"".join(data[i:i + width][::-1] for i in range(0, len(data), width))
        return data
    stems = {n.split("/")[0] for n, _ in entries}
    assert len(stems) == 1 and any(n.endswith("/data/4") for n, _ in entries)
    write_zip("bigendian.pth", [(n, swap(n, d)) for n, d in entries])
    record("bigendian", f32)

    p = path("expected.safetensors")
    save_file(expected, p, metadata={"fixture": f"tools/make_pth_fixtures.py, torch {TORCH_VERSION}; every tensor of the .pth fixtures as F32"})
    note(p)

    # Must be refused. None of these pickles is ever loaded here (pickletools.dis only reads them).
    pwn = unicode("touch /tmp/vgg-swift-pth-pwned")
    write_zip("malicious_os_system.pth", archive(b"\x80\x02" + global_("os", "system") + pwn + b"\x85R."))
    nested = (b"\x80\x04" + global_("collections", "OrderedDict") + b")R(" + unicode("w") + tensor("0", 2, 0, [2], [1])
              + unicode("x") + b"\x8c\x08builtins\x8c\x04exec\x93" + unicode("open('/tmp/vgg-swift-pth-pwned', 'w')") + b"\x85R" + b"u.")
    write_zip("malicious_nested.pth", archive(nested, [("0", struct.pack("<2f", 1, 2))]))
    write_zip("malicious_storage_call.pth", archive(b"\x80\x02" + global_("torch", "FloatStorage") + b"(J\x00\x00\x10\x00tR."))
    for name in ["malicious_os_system.pth", "malicious_nested.pth", "malicious_storage_call.pth"]:
        import pickletools
        with zipfile.ZipFile(path(name)) as z:
            pickletools.dis(z.read("archive/data.pkl"), out=io.StringIO())  # well-formed pickles, not run

    save_pth("legacy.pth", OrderedDict([("w", torch.ones(2))]), _use_new_zipfile_serialization=False)
    save_pth("not_state_dict.pth", {"epoch": 3, "lr": 0.1})
    data = open(f32_path, "rb").read()
    write_bytes("truncated.pth", data[:len(data) // 2])
    pickle_bytes = dict(entries)[[n for n, _ in entries if n.endswith("/data.pkl")][0]]
    write_zip("truncated_pickle.pth", archive(pickle_bytes[:len(pickle_bytes) * 2 // 3]))
    corrupt = bytearray(data)
    with zipfile.ZipFile(f32_path) as z:
        info = [i for i in z.infolist() if i.filename.endswith("/data/0")][0]
    name_length, extra_length = struct.unpack("<HH", data[info.header_offset + 26:info.header_offset + 30])  # the local header's
    corrupt[info.header_offset + 30 + name_length + extra_length + 5] ^= 0x40  # inside the storage bytes
    write_bytes("corrupt_crc.pth", bytes(corrupt))
    bad = b"\x80\x02}(" + unicode("w") + tensor("0", 4, 0, [10], [1]) + b"u."
    write_zip("bad_view.pth", archive(bad, [("0", struct.pack("<4f", 1, 2, 3, 4))]))


def vgg_fixture(batch_norm, seed):
    torch.manual_seed(seed)
    model = vgg("A", batch_norm, divisor=32, num_classes=10, width=32)
    perturb(model)
    model.eval()
    x = torch.randn(2, 3, 48, 64)
    with torch.no_grad():
        logits = model(x)
    name = "tv_vgg11_bn_tiny" if batch_norm else "tv_vgg11_tiny"
    state = model.state_dict()
    save_pth(f"{name}.pth", state, directory=VGG_DIR)
    # What torch itself reads back.
    model.load_state_dict(torch.load(path(f"{name}.pth", VGG_DIR), weights_only=True), strict=True)
    p = path(f"{name}_pth_io.safetensors", VGG_DIR)
    module = f"vgg11{'_bn' if batch_norm else ''} (torchvision layout), conv widths / 32, classifier 32, 10 classes"
    save_file({"input": x, "logits": logits}, p,
              metadata={"fixture": f"tools/make_pth_fixtures.py, torch {TORCH_VERSION}; input and eval-mode logits of {name}.pth, {module}"})
    note(p)


def full_check(binary):
    """Full-size vgg11, saved with torch.save, through `vgg import` and `vgg infer`."""
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
    with tempfile.TemporaryDirectory(prefix="vgg-pth-full-check-") as tmp:
        weights = os.path.join(tmp, "vgg11.pth")
        torch.save(model.state_dict(), weights)
        print(f"torch.save(vgg11().state_dict()): {os.path.getsize(weights) / 2**20:.0f} MiB")
        save_file({"input": x}, os.path.join(tmp, "input.safetensors"))
        subprocess.run([binary, "import", "--arch", "A", "--weights", weights, "--out", os.path.join(tmp, "vgg11.ckpt")], check=True)
        subprocess.run([binary, "infer", "--arch", "A", "--weights", weights, "--input", os.path.join(tmp, "input.safetensors"),
                        "--out", os.path.join(tmp, "logits.safetensors")], check=True)
        got = load_file(os.path.join(tmp, "logits.safetensors"))["logits"]
        diff = (got - expected).abs().max().item()
        scale = expected.abs().max().item()
        print(f"full-size vgg11 from .pth, one 224x224 image: max |diff| {diff:.3e}, max |logit| {scale:.3e}, "
              f"max relative diff {diff / scale:.3e}; top-1 {'agrees' if got.argmax() == expected.argmax() else 'DIFFERS'}")
        if diff / scale > 1e-4:
            sys.exit(1)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--full-check", metavar="VGG_BINARY", help="also run a full-size vgg11 .pth through VGG_BINARY import and infer")
    parser.add_argument("--skip-fixtures", action="store_true", help="do not rewrite the fixture files")
    args = parser.parse_args()
    torch.set_num_threads(1)
    if not args.skip_fixtures:
        reader_fixtures()
        vgg_fixture(batch_norm=False, seed=21)
        vgg_fixture(batch_norm=True, seed=22)
        for p, size in written:
            print(f"wrote {os.path.relpath(p, ROOT)} ({size} bytes)")
    if args.full_check:
        torch.set_num_threads(os.cpu_count() or 1)
        full_check(args.full_check)


if __name__ == "__main__":
    main()
