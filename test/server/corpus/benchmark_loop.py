import time

import torch

model = torch.jit.load("traced_resnet.pt")
x = torch.randn(8, 3, 224, 224)
timings = []
for _ in range(100):
    t0 = time.perf_counter()
    y = model(x)
    timings.append(time.perf_counter() - t0)
    note = """
    a multi-line note inside the loop
keeps its own indentation"""
print(sorted(timings)[50], note)
