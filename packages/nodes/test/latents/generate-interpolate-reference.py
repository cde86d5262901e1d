"""Writes interpolate-reference.json: torch.nn.functional.interpolate outputs for small seeded inputs.

Run from the repository root with torch installed (CPU build is enough):
    python3 packages/nodes/test/latents/generate-interpolate-reference.py
The test reads the JSON; torch is not needed to run the tests. Format it afterwards with
    npx prettier --write packages/nodes/test/latents/interpolate-reference.json
"""
import json
import pathlib

import torch
import torch.nn.functional as F

cases = []
g = torch.Generator("cpu").manual_seed(1234)
shapes = [(1, 2, 5, 7), (1, 1, 8, 8), (2, 1, 3, 4)]
targets = [
    {"size": [11, 13]},
    {"size": [3, 2]},
    {"size": [16, 16]},
    {"size": [7, 5]},
    {"scale_factor": 1.5},
    {"scale_factor": 0.5},
    {"scale_factor": 2.0},
    {"scale_factor": 0.37},
]
for shape in shapes:
    x = torch.randn(shape, generator=g)
    for target in targets:
        for mode, aa in [
            ("nearest", False),
            ("nearest-exact", False),
            ("bilinear", False),
            ("bicubic", False),
            ("area", False),
            ("bilinear", True),
            ("bicubic", True),
        ]:
            kwargs = dict(mode=mode, antialias=aa)
            if "size" in target:
                kwargs["size"] = tuple(target["size"])
            else:
                kwargs["scale_factor"] = target["scale_factor"]
            try:
                y = F.interpolate(x, **kwargs)
            except Exception:
                continue
            if y.numel() == 0:
                continue
            cases.append(
                {
                    "shape": list(shape),
                    "input": [round(v, 6) for v in x.flatten().tolist()],
                    "target": target,
                    "mode": mode,
                    "antialias": aa,
                    "out_shape": list(y.shape),
                    "output": [round(v, 6) for v in y.flatten().tolist()],
                }
            )

out = pathlib.Path(__file__).with_name("interpolate-reference.json")
out.write_text(json.dumps({"torch": torch.__version__, "cases": cases}, separators=(",", ":")))
print(f"wrote {len(cases)} cases to {out}")
