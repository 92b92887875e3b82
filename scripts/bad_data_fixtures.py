#!/usr/bin/env python3
"""Image folders for scripts/test-bad-data.sh (standard library only).

  bad_data_fixtures.py good DIR            DIR/{a,b,c}/: 4 good images each (PNG and JPEG)
  bad_data_fixtures.py bad CASE DIR/FILE   one troublesome file (or folder) named by CASE
  bad_data_fixtures.py cases               the cases, one a line: CASE FILE-NAME
"""
import os
import shutil
import struct
import sys
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))
JPEG = os.path.join(HERE, "..", "FuzzTesting", "Corpora", "jpeg")
PNG = os.path.join(HERE, "..", "FuzzTesting", "Corpora", "png")


def png_bytes(width, height, channels, depth, values):
    """Gray (1) or RGB (3) samples of `depth` bits (8 or 16), row-major and interleaved."""
    kind = {1: 0, 3: 2}[channels]
    fmt = ">" + ("B" if depth == 8 else "H") * (width * channels)
    rows = b"".join(b"\x00" + struct.pack(fmt, *values[y * width * channels:(y + 1) * width * channels]) for y in range(height))

    def chunk(tag, data):
        return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data))

    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, depth, kind, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))


def write(path, data):
    with open(path, "wb") as f:
        f.write(data)


def good(root):
    jpegs = ["rgb420-17x9.jpg", "rgb422-16x16.jpg", "progressive-rgb-16x12.jpg"]
    for c, cls in enumerate("abc"):
        d = os.path.join(root, cls)
        os.makedirs(d, exist_ok=True)
        for i in range(3):
            w, h = 20 + 4 * i, 18 + 2 * c
            write(os.path.join(d, f"img{i}.png"), png_bytes(w, h, 3, 8, [(x * 7 + y * 13 + c * 50 + i) % 256
                                                                        for y in range(h) for x in range(w) for _ in range(3)]))
        shutil.copy(os.path.join(JPEG, jpegs[c]), os.path.join(d, "photo.jpg"))


def sos_offset(data):
    """Where the first scan's entropy-coded data begins."""
    i = data.index(b"\xff\xda")
    return i + 2 + struct.unpack(">H", data[i + 2:i + 4])[0]


def huge_jpeg(width, height):
    """A real JPEG whose frame header says width x height (its data is for 17x9)."""
    data = bytearray(open(os.path.join(JPEG, "rgb420-17x9.jpg"), "rb").read())
    i = data.index(b"\xff\xc0")
    data[i + 5:i + 9] = struct.pack(">HH", height, width)
    return bytes(data)


CASES = {
    # case: (file name, how it is made)
    "empty": ("empty.jpg", lambda p: write(p, b"")),
    "truncated-jpeg": ("truncated.jpg", lambda p: write(p, (lambda d: d[:(sos_offset(d) + len(d)) // 2])(
        open(os.path.join(JPEG, "rgb422-16x16.jpg"), "rb").read()))),
    "truncated-png": ("truncated.png", lambda p: write(p, (lambda d: d[:len(d) * 2 // 3])(
        png_bytes(40, 30, 3, 8, [(i * 31) % 251 for i in range(40 * 30 * 3)])))),
    "text": ("notes.jpg", lambda p: write(p, b"this is a text file, not a picture\n")),
    "unreadable": ("locked.png", lambda p: (write(p, png_bytes(8, 8, 1, 8, [128] * 64)), os.chmod(p, 0))),
    "symlink-loop": ("loop.jpg", lambda p: os.symlink(os.path.basename(p), p)),
    "huge-png": ("huge.png", lambda p: shutil.copy(os.path.join(PNG, "large-20000x20000.png"), p)),
    "huge-jpeg": ("huge.jpg", lambda p: write(p, huge_jpeg(20000, 20000))),
    "empty-class": ("d-empty", lambda p: os.makedirs(p)),
    # Accepted: decoded to 8-bit RGB.
    "png-named-jpg": ("really-a-png.jpg", lambda p: write(p, png_bytes(12, 10, 3, 8, [(i * 5) % 256 for i in range(360)]))),
    "one-pixel": ("one-pixel.png", lambda p: write(p, png_bytes(1, 1, 3, 8, [10, 200, 30]))),
    "gray-jpeg": ("gray.jpg", lambda p: shutil.copy(os.path.join(JPEG, "gray-8x8.jpg"), p)),
    "cmyk-jpeg": ("cmyk.jpg", lambda p: shutil.copy(os.path.join(JPEG, "cmyk-8x8.jpg"), p)),
    "16-bit-png": ("deep.png", lambda p: write(p, png_bytes(10, 8, 3, 16, [(i * 997) % 65536 for i in range(240)]))),
}

if __name__ == "__main__":
    if sys.argv[1] == "good":
        good(sys.argv[2])
    elif sys.argv[1] == "bad":
        CASES[sys.argv[2]][1](sys.argv[3])
    elif sys.argv[1] == "cases":
        for case, (name, _) in CASES.items():
            print(case, name)
