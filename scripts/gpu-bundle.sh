#!/usr/bin/env bash
# Builds what scripts/gpu-check.sh runs on a GPU machine that has NVIDIA's libraries but no
# Swift toolchain and none of the Debian C libraries: a static-stdlib release build of `vgg`,
# the shared libraries it links (oneDNN, OpenBLAS, libjpeg-turbo, libpng and theirs) and a
# Fashion-MNIST subset (38,400 training images: 300 batches of 128; the 10,000 test images),
# packed into .gpu/bundle.tar.xz (ignored by git).
set -euo pipefail
cd "$(dirname "$0")/.."
swift build -c release --static-swift-stdlib --build-path .build-static
rm -rf .gpu/stage && mkdir -p .gpu/stage/lib .gpu/stage/data
cp .build-static/release/vgg .gpu/stage/vgg
strip .gpu/stage/vgg
for l in $(ldd .build-static/release/vgg | awk '/=> \// {print $3}'); do
    case "$(basename "$l")" in
        libc.so*|libm.so*|libstdc++.so*|libgcc_s.so*|ld-linux*|libz.so*) ;;
        *) cp -L "$l" .gpu/stage/lib/ ;;
    esac
done
python3 - <<'PY'
import gzip, struct
src, dst = '/usr/share/datasets/fashion-mnist/', '.gpu/stage/data/'
def subset(name, n):
    d = gzip.open(src + name).read()
    magic, = struct.unpack('>I', d[:4]); dims = magic & 0xff
    header = 8 + 4 * (dims - 1)
    per = 1
    for i in range(dims - 1): per *= struct.unpack('>I', d[8 + 4 * i:12 + 4 * i])[0]
    with gzip.open(dst + name, 'wb', compresslevel=6) as f:
        f.write(d[:4] + struct.pack('>I', n) + d[8:header] + d[header:header + n * per])
subset('train-images-idx3-ubyte.gz', 38400); subset('train-labels-idx1-ubyte.gz', 38400)
subset('t10k-images-idx3-ubyte.gz', 10000); subset('t10k-labels-idx1-ubyte.gz', 10000)
PY
tar -C .gpu/stage -cJf .gpu/bundle.tar.xz .
ls -la .gpu/bundle.tar.xz
