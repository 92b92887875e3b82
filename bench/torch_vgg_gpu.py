# PyTorch's figures for the GPU workloads of `vgg bench --backend cuda`, on the same GPU in
# the same call: images/s (median step over 20 after 5 warm-ups) and peak GPU memory
# (torch.cuda.max_memory_allocated). One JSON object per line.
#
#   python3 bench/torch_vgg_gpu.py [--modes fp32,tf32,bf16] [--workloads vgg16-train,vgg11-train,vgg16-infer]
#
# Training steps are SGD with momentum 0.9 and weight decay 5e-4 on soft-max cross-entropy,
# as vgg-swift's; tensors are NCHW (PyTorch's default) except in bf16, where channels-last
# is what PyTorch users pick for speed. cudnn.benchmark is on (PyTorch's algorithm search).
import argparse, json, time
import torch, torch.nn as nn, torchvision

parser = argparse.ArgumentParser()
parser.add_argument("--modes", default="fp32,tf32,bf16")
parser.add_argument("--workloads", default="vgg16-train,vgg11-train,vgg16-infer")
parser.add_argument("--iterations", type=int, default=20)
args = parser.parse_args()

torch.backends.cudnn.benchmark = True
print(json.dumps({"torch": torch.__version__, "cuda": torch.version.cuda, "cudnn": torch.backends.cudnn.version(),
                  "gpu": torch.cuda.get_device_name()}), flush=True)

WORKLOADS = {
    "vgg16-train": (torchvision.models.vgg16, 128, True),
    "vgg11-train": (torchvision.models.vgg11, 128, True),
    "vgg16-infer": (torchvision.models.vgg16, 256, False),
}


def bench(name, mode):
    build, batch, train = WORKLOADS[name]
    torch.cuda.empty_cache()
    model = build().cuda()
    channels_last = mode == "bf16"
    if channels_last:
        model = model.to(memory_format=torch.channels_last)
    torch.backends.cuda.matmul.allow_tf32 = mode != "fp32"
    torch.backends.cudnn.allow_tf32 = mode != "fp32"
    x = torch.randn(batch, 3, 224, 224, device="cuda")
    if channels_last:
        x = x.to(memory_format=torch.channels_last)
    y = torch.randint(0, 1000, (batch,), device="cuda")
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9, weight_decay=5e-4)
    loss_function = nn.CrossEntropyLoss()
    model.train(train)

    def step():
        with torch.autocast("cuda", dtype=torch.bfloat16, enabled=(mode == "bf16")):
            if train:
                optimizer.zero_grad(set_to_none=True)
                loss_function(model(x), y).backward()
                optimizer.step()
            else:
                with torch.no_grad():
                    model(x)

    for _ in range(5):
        step()
    torch.cuda.synchronize()
    torch.cuda.reset_peak_memory_stats()
    times = []
    for _ in range(args.iterations):
        t = time.perf_counter()
        step()
        torch.cuda.synchronize()
        times.append(time.perf_counter() - t)
    times.sort()
    median = times[len(times) // 2]
    print(json.dumps({"name": name, "mode": mode, "batch": batch, "img_s": round(batch / median, 1),
                      "ms": round(median * 1e3, 2), "peak_mib": round(torch.cuda.max_memory_allocated() / 2**20)}), flush=True)
    del model, optimizer, x, y


for mode in args.modes.split(","):
    for name in args.workloads.split(","):
        bench(name, mode)
