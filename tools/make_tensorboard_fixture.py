#!/usr/bin/env python3
"""Writes Tests/TensorBoardTests/Fixtures/torch-summary-writer.tfevents with PyTorch's
torch.utils.tensorboard.SummaryWriter (TensorBoard's own event-file writer underneath), for
the Swift reader's tests (TensorBoardFixtureTests). Run by tools/make_tensorboard_fixture.sh.

The values are fixed: scalars `train/loss` = 1/(step+1) and `train/lr` = 0.01 at steps 0..4,
a 3×2 RGB image `grid` (PNG) at step 2, the text `config` at step 0, and the histogram
`weights` of 0, 1, ..., 9 at step 3.
"""
import glob
import os
import shutil
import sys
import tempfile

import numpy as np
from torch.utils.tensorboard import SummaryWriter

out = sys.argv[1] if len(sys.argv) > 1 else "Tests/TensorBoardTests/Fixtures/torch-summary-writer.tfevents"
with tempfile.TemporaryDirectory() as d:
    w = SummaryWriter(log_dir=d)
    for step in range(5):
        w.add_scalar("train/loss", 1.0 / (step + 1), step)
        w.add_scalar("train/lr", 0.01, step)
    image = np.arange(3 * 2 * 3, dtype=np.uint8).reshape(3, 2, 3) * 10  # HWC: 3 rows, 2 columns, RGB
    w.add_image("grid", image, 2, dataformats="HWC")
    w.add_text("config", "epochs: **3**", 0)
    w.add_histogram("weights", np.arange(10, dtype=np.float64), 3)
    w.close()
    (path,) = glob.glob(os.path.join(d, "events.out.tfevents.*"))
    shutil.copyfile(path, out)
print("wrote", out, os.path.getsize(out), "bytes")
