"""Reference solution of a small multinomial logistic regression for the LinearProbe tests.

Writes Tests/TrainingTests/Fixtures/linear_probe_sklearn.safetensors: `x` (90x4, three
overlapping Gaussian classes, numpy seed 5), `y` (90, labels 0..2 as F32), and
scikit-learn's LogisticRegression(C, lbfgs, multinomial, tol 1e-12) solution `coef` (3x4)
and `intercept` (3); the metadata holds C and the sklearn version. LinearProbe with
weightDecay = 1/(C*n) and no standardisation minimises the same objective.

    python3 -m venv .venv-fixtures && .venv-fixtures/bin/pip install numpy scikit-learn
    .venv-fixtures/bin/python tools/make_linear_probe_fixture.py
"""
import json
import struct

import numpy as np
import sklearn
from sklearn.linear_model import LogisticRegression

rng = np.random.default_rng(5)
centres = np.array([[1.0, 0.0, 0.5, -0.5], [-0.5, 1.0, 0.0, 0.5], [0.0, -1.0, -0.5, 0.0]])
x = np.concatenate([c + rng.standard_normal((30, 4)) for c in centres]).astype(np.float32)
y = np.repeat(np.arange(3), 30)
C = 0.5
model = LogisticRegression(C=C, solver="lbfgs", tol=1e-12, max_iter=100000).fit(x.astype(np.float64), y)
tensors = {"x": x, "y": y.astype(np.float32), "coef": model.coef_.astype(np.float32),
           "intercept": model.intercept_.astype(np.float32)}

header, offset, blobs = {"__metadata__": {"C": str(C), "sklearn": sklearn.__version__}}, 0, []
for name, a in tensors.items():
    b = np.ascontiguousarray(a, dtype="<f4").tobytes()
    header[name] = {"dtype": "F32", "shape": list(a.shape), "data_offsets": [offset, offset + len(b)]}
    offset += len(b)
    blobs.append(b)
h = json.dumps(header).encode()
h += b" " * (-len(h) % 8)
with open("Tests/TrainingTests/Fixtures/linear_probe_sklearn.safetensors", "wb") as f:
    f.write(struct.pack("<Q", len(h)) + h + b"".join(blobs))
print("coef", model.coef_, "intercept", model.intercept_, "train accuracy", model.score(x, y))
