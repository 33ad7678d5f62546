"""Look-alikes: nothing in this file may be flagged.

Calling torch.onnx.export(model, x, "model.onnx") without dynamic_axes is bad, says this docstring.
"""
import onnxruntime as ort
import tensorrt as trt
from onnxruntime import InferenceSession
import torch
from torch.utils.data import DataLoader

from mylib import DataParallel  # not torch's
from mylib.exporters import export

# torch.onnx.export(model, x, "commented.onnx")
EXAMPLE = "torch.onnx.export(model, x, 'in_a_string.onnx')"


def save(model, x):
    # A user function called export, from another library.
    export(model, x, "out.onnx")


def shadowed(model, x):
    torch = FakeTorch()  # a local that shadows the module
    torch.onnx.export(model, x, "fake.onnx")


def parameter_named_torch(torch, model, x):
    torch.onnx.export(model, x, "param.onnx")


def correct_export(model, input_ids, attention_mask):
    torch.onnx.export(
        model,
        (input_ids, attention_mask),
        "good.onnx",
        input_names=["input_ids", "attention_mask"],
        output_names=["logits"],
        dynamic_axes={
            "input_ids": {0: "batch", 1: "sequence"},
            "attention_mask": {0: "batch", 1: "sequence"},
            "logits": {0: "batch"},
        },
        opset_version=17,
    )


def correct_dynamo(model, x):
    batch = torch.export.Dim("batch")
    torch.onnx.export(model, (x,), "dyn.onnx", dynamo=True, dynamic_shapes=({0: batch},), input_names=["x"], output_names=["y"], opset_version=18)


def sessions(path, providers):
    so = ort.SessionOptions()
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    a = ort.InferenceSession(path, so, providers=providers)
    b = ort.InferenceSession(path, sess_options=so, providers=["CPUExecutionProvider"])
    return a, b


def train(model, loader, optimizer):
    model.train()
    for x, y in loader:
        optimizer.zero_grad()
        loss = model(x).sum()
        loss.backward()
        optimizer.step()


@torch.no_grad()
def evaluate(model, loader):
    return [model(x) for x, _ in loader] + [model(x) for x in range(3)]


def evaluate_with(model, loader):
    with torch.inference_mode():
        for x, _ in loader:
            model(x)


def loaders(ds):
    train_loader = DataLoader(ds, batch_size=32, shuffle=True, num_workers=4, pin_memory=True)
    for images, labels in train_loader:
        images = images.to("cuda", non_blocking=True)
        labels = labels.cuda(non_blocking=True)
        images.to(torch.float16)
    return DataParallel(ds)


def housekeeping(model, loader):
    for step, (x, _) in enumerate(loader):
        if step % 100 == 0:
            torch.cuda.empty_cache()
    torch.cuda.empty_cache()


def fp16_engine(builder):
    config = builder.create_builder_config()
    config.set_flag(trt.BuilderFlag.FP16)
    return config


def not_a_model(items, transform):
    out = []
    for item in items:
        out.append(transform(item))
    return out


def custom_session(path, CustomSession):
    InferenceSession = CustomSession  # shadows the import in this function
    return InferenceSession(path)


def strings_in_loops(items, model):
    for item in items:
        print("model(item) without torch.no_grad()")  # model(item) in a comment
        # torch.cuda.empty_cache()


def already_fast(model, batch):
    model = model.cuda().eval()
    with torch.inference_mode(), torch.autocast("cuda", dtype=torch.float16):
        return model(batch.cuda())


def score(model, loader):
    total = 0.0
    for x, y in loader:
        total += float(model(x).argmax() == y)
    return total


if __name__ == "__main__":
    with torch.no_grad():
        print(score(load_model(), make_loader()))
