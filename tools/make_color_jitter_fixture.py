# Expected outputs of torchvision's colour-jitter adjustments for Tests/DataTests/ColorJitterTests.swift.
#
#   python3 tools/make_color_jitter_fixture.py   (needs torch and torchvision)
#
# A 3×4 RGB image in [0, 1] (fixed values below) goes through torchvision's own
# adjust_brightness, adjust_contrast, adjust_saturation and adjust_hue (the tensor versions
# that ColorJitter calls) with fixed factors; the script prints the results as Swift arrays
# (HWC order), pasted into the test.
import torch
from torchvision.transforms import _functional_tensor as F

pixels = [  # H=3, W=4, RGB
    0.10, 0.20, 0.30,  0.90, 0.10, 0.10,  0.50, 0.50, 0.50,  0.00, 0.80, 0.40,
    0.70, 0.60, 0.05,  0.25, 0.75, 0.95,  1.00, 1.00, 0.00,  0.33, 0.12, 0.66,
    0.05, 0.05, 0.90,  0.60, 0.30, 0.80,  0.45, 0.90, 0.15,  0.80, 0.80, 0.81,
]
image = torch.tensor(pixels, dtype=torch.float32).reshape(3, 4, 3).permute(2, 0, 1).contiguous()  # CHW

def hwc(t):
    return [round(float(v), 7) for v in t.permute(1, 2, 0).reshape(-1)]

cases = [
    ("brightness", 1.3, F.adjust_brightness(image, 1.3)),
    ("contrast", 0.6, F.adjust_contrast(image, 0.6)),
    ("saturation", 1.7, F.adjust_saturation(image, 1.7)),
    ("hue", 0.23, F.adjust_hue(image, 0.23)),
    ("hue", -0.4, F.adjust_hue(image, -0.4)),
]
print("    static let input: [Float] = " + str(pixels))
for name, factor, out in cases:
    print(f'    // adjust_{name}({factor})')
    print(f'    static let {name}{str(factor).replace("-", "Minus").replace(".", "_")}: [Float] = ' + str(hwc(out)))
