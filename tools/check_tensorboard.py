#!/usr/bin/env python3
"""Checks the TensorBoard log of a `vgg train` run with TensorBoard's own reader.

Reads OUT (every events.out.tfevents.* file in it, as `tensorboard --logdir` does) with
tensorboard's EventAccumulator and compares it with OUT/metrics.csv and the PNG files:

- validation/loss, validation/top1, validation/top5: one point per epoch, equal to the csv's
  val_loss, val_top1, val_top5 (to float32 and the csv's 6 decimals);
- train/loss and train/accuracy at each epoch's last step (the step of its validation):
  the csv's train_loss and train_acc (the running values at the end of the epoch);
- train/learning_rate: at every step of an epoch, the csv's lr of that epoch;
- train/images_per_second: positive at every step; its harmonic mean per epoch is printed beside
  the csv's images_per_s (they time different spans: not compared);
- steps: 1, 2, ..., N for every per-step tag, each once (no step logged twice, also across
  the files of a resumed run);
- images curves, confusion_matrix, predictions: byte for byte the PNG files of OUT;
- the configuration text is there.

    .venv-tools/bin/python tools/check_tensorboard.py OUT

Not run by the tests; needs the tools venv (tools/generate-protos.sh).
"""
import csv
import math
import os
import sys

from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

STEP_TAGS = ["train/loss", "train/accuracy", "train/learning_rate", "train/images_per_second"]
PICTURES = {"curves": "curves.png", "confusion_matrix": "confusion.png", "predictions": "predictions.png"}


def main():
    out = sys.argv[1]
    acc = EventAccumulator(out, size_guidance={"scalars": 0, "images": 0, "tensors": 0, "histograms": 0})
    acc.Reload()
    tags = acc.Tags()
    rows = list(csv.DictReader(open(os.path.join(out, "metrics.csv"))))
    problems, compared = [], 0

    def close(a, b, what):
        nonlocal compared
        compared += 1
        if not math.isclose(a, b, rel_tol=2e-6, abs_tol=1e-6):
            problems.append(f"{what}: TensorBoard {a!r}, metrics.csv {b!r}")

    scalars = {t: acc.Scalars(t) for t in tags["scalars"]}
    for t in STEP_TAGS + ["validation/loss", "validation/top1", "validation/top5"]:
        if t not in scalars:
            problems.append(f"no scalar {t}")
    if problems:
        sys.exit("\n".join(problems))
    steps = [e.step for e in scalars["train/loss"]]
    for t in STEP_TAGS:
        s = [e.step for e in scalars[t]]
        if s != list(range(1, len(s) + 1)):
            problems.append(f"{t}: steps are not 1..{len(s)} each once: {s[:10]}...")
    val_steps = [e.step for e in scalars["validation/top1"]]
    if len(val_steps) != len(rows):
        problems.append(f"{len(val_steps)} validations logged, {len(rows)} rows in metrics.csv")
    by_step = {t: {e.step: e.value for e in scalars[t]} for t in STEP_TAGS}
    first = 1
    for i, (row, vstep) in enumerate(zip(rows, val_steps)):
        epoch = row["epoch"]
        for t, column in [("validation/loss", "val_loss"), ("validation/top1", "val_top1"), ("validation/top5", "val_top5")]:
            close(scalars[t][i].value, float(row[column]), f"epoch {epoch} {t}")
        close(by_step["train/loss"][vstep], float(row["train_loss"]), f"epoch {epoch} train/loss at step {vstep}")
        close(by_step["train/accuracy"][vstep], float(row["train_acc"]), f"epoch {epoch} train/accuracy at step {vstep}")
        rates = []
        for step in range(first, vstep + 1):
            close(by_step["train/learning_rate"][step], float(row["lr"]), f"epoch {epoch} train/learning_rate at step {step}")
            rates.append(by_step["train/images_per_second"][step])
            if not by_step["train/images_per_second"][step] > 0:
                problems.append(f"step {step}: images/s {by_step['train/images_per_second'][step]}")
        if rates:
            # Equal batches: the harmonic mean of the per-step rates is images over time.
            print(f"epoch {epoch}: steps {first}-{vstep}, harmonic mean of the logged images/s {len(rates) / sum(1 / r for r in rates):.1f}, "
                  f"metrics.csv {row['images_per_s']}")
        first = vstep + 1
    for tag, file in PICTURES.items():
        images = acc.Images(tag) if tag in tags["images"] else []
        if len(images) != 1:
            problems.append(f"{tag}: {len(images)} images logged, not 1")
            continue
        compared += 1
        if images[0].encoded_image_string != open(os.path.join(out, file), "rb").read():
            problems.append(f"{tag}: not the bytes of {file}")
    texts = [t for t in tags["tensors"] if t == "configuration"]
    if not texts:
        problems.append("no configuration text")
    files = sorted(f for f in os.listdir(out) if f.startswith("events.out.tfevents."))
    print(f"{len(files)} event file(s), {len(steps)} steps, {len(rows)} epochs; {compared} values and images compared; "
          f"tags: {', '.join(sorted(tags['scalars']))}; images: {', '.join(sorted(tags['images']))}; "
          f"histograms: {len(tags['histograms'])}")
    if problems:
        print("FAILED:\n  " + "\n  ".join(problems))
        sys.exit(1)
    print("ok: every scalar and image agrees with metrics.csv and the PNG files")


if __name__ == "__main__":
    main()
