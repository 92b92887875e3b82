#!/usr/bin/env python3
"""Small stand-ins for the files README.md's commands name, for scripts/test-readme.sh
(standard library only: no torch, numpy or PIL).

  readme_fixtures.py data DIR           CIFAR-10 binaries (DIR/cifar-10-batches-bin), image
                                        folders (DIR/imagenet/train, DIR/imagenet/val: PNG and
                                        JPEG), DIR/shoe.png
  readme_fixtures.py input FILE N C H W a safetensors file with one float32 tensor `input`
  readme_fixtures.py pth SRC DST        a state_dict from a safetensors file re-saved in
                                        torch.save's zip format (as `vgg import` reads it)
"""
import json
import os
import random
import shutil
import struct
import sys
import zipfile
import zlib


def png(path, width, height, channels, pixels):
    """Writes 8-bit gray (1) or RGB (3) pixels, row-major and interleaved."""
    kind = {1: 0, 3: 2}[channels]
    rows = b"".join(b"\x00" + bytes(pixels[y * width * channels:(y + 1) * width * channels]) for y in range(height))

    def chunk(tag, data):
        return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data))

    with open(path, "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, kind, 0, 0, 0))
                + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))


def data(root):
    rng = random.Random(0)
    cifar = os.path.join(root, "cifar-10-batches-bin")
    os.makedirs(cifar, exist_ok=True)
    names = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"]
    for name in [f"data_batch_{i}.bin" for i in range(1, 6)] + ["test_batch.bin"]:
        with open(os.path.join(cifar, name), "wb") as f:
            for k in range(20):
                f.write(bytes([k % 10]) + bytes(rng.randrange(256) for _ in range(3072)))
    with open(os.path.join(cifar, "batches.meta.txt"), "w") as f:
        f.write("\n".join(names) + "\n")
    here = os.path.dirname(os.path.abspath(__file__))
    jpegs = [os.path.join(here, "..", "FuzzTesting", "Corpora", "jpeg", n) for n in ("rgb420-17x9.jpg", "rgb422-16x16.jpg")]
    for split, count in (("train", 8), ("val", 4)):
        for c, cls in enumerate(("n01440764", "n01443537")):
            d = os.path.join(root, "imagenet", split, cls)
            os.makedirs(d, exist_ok=True)
            for i in range(count):
                w, h = 48 + 8 * i, 40 + 4 * c
                png(os.path.join(d, f"img{i}.png"), w, h, 3, [rng.randrange(256) for _ in range(w * h * 3)])
            shutil.copy(jpegs[c], os.path.join(d, "img-jpeg.jpg"))
    png(os.path.join(root, "shoe.png"), 28, 28, 1, [(x * 9 + y * 3) % 256 for y in range(28) for x in range(28)])
    shutil.copy(os.path.join(here, "..", "FuzzTesting", "Corpora", "jpeg", "gray-8x8.jpg"), os.path.join(root, "shirt.jpg"))


# safetensors dtype: (torch storage class, bytes per element).
STORAGES = {"F32": ("FloatStorage", 4), "I64": ("LongStorage", 8)}


def read_safetensors(path):
    raw = open(path, "rb").read()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8:8 + n])
    header.pop("__metadata__", None)
    body = raw[8 + n:]
    out = {}
    for name, t in header.items():
        assert t["dtype"] in STORAGES, f"{path}: {name} is {t['dtype']}, only F32 and I64 are converted"
        a, b = t["data_offsets"]
        out[name] = (t["dtype"], t["shape"], body[a:b])
    return out


def write_input(path, shape):
    rng = random.Random(1)
    count = 1
    for s in shape:
        count *= s
    body = struct.pack(f"<{count}f", *(rng.uniform(-1, 1) for _ in range(count)))
    header = json.dumps({"input": {"dtype": "F32", "shape": shape, "data_offsets": [0, len(body)]}}).encode()
    header += b" " * (-len(header) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(header)) + header + body)


def write_pth(source, destination):
    tensors = read_safetensors(source)
    stem = "archive"
    records = {}
    state = []
    for i, (name, (dtype, shape, body)) in enumerate(tensors.items()):
        key = str(i)
        records[f"{stem}/data/{key}"] = body
        strides, s = [], 1
        for d in reversed(shape):
            strides.insert(0, s)
            s *= d
        storage, size = STORAGES[dtype]
        state.append((name, key, storage, len(body) // size, tuple(shape), tuple(strides)))
    with zipfile.ZipFile(destination, "w", zipfile.ZIP_STORED) as z:
        z.writestr(f"{stem}/data.pkl", _state_dict_pickle(state))
        z.writestr(f"{stem}/byteorder", "little")
        for path, body in records.items():
            z.writestr(path, body)
        z.writestr(f"{stem}/version", "3\n")


def _state_dict_pickle(state):
    """Protocol-2 opcodes of OrderedDict([(name, _rebuild_tensor_v2(storage, 0, size, stride,
    False, OrderedDict())), ...]), written by hand so that no torch module is needed."""
    out = bytearray(b"\x80\x02")

    def string(s):
        b = s.encode()
        out.extend(b"X" + struct.pack("<I", len(b)) + b)

    def integer(v):
        out.extend(b"J" + struct.pack("<i", v))

    def tuple_of(values):
        out.extend(b"(")
        for v in values:
            integer(v)
        out.extend(b"t")

    out.extend(b"ccollections\nOrderedDict\n)R")
    for name, key, storage, count, shape, strides in state:
        string(name)
        out.extend(b"ctorch._utils\n_rebuild_tensor_v2\n(")
        out.extend(b"(")
        string("storage")
        out.extend(b"ctorch\n" + storage.encode() + b"\n")
        string(key)
        string("cpu")
        integer(count)
        out.extend(b"tQ")
        integer(0)
        tuple_of(shape)
        tuple_of(strides)
        out.extend(b"\x89ccollections\nOrderedDict\n)RtR")
        out.extend(b"s")
    out.extend(b".")
    return bytes(out)


if __name__ == "__main__":
    what = sys.argv[1]
    if what == "data":
        data(sys.argv[2])
    elif what == "input":
        write_input(sys.argv[2], [int(v) for v in sys.argv[3:]])
    elif what == "pth":
        write_pth(sys.argv[2], sys.argv[3])
    else:
        sys.exit(__doc__)
