import torch
import torch.onnx as tonnx
from torch.onnx import export as onnx_export
import torchvision


def export_resnet(out_dir):
    model = torchvision.models.resnet50(weights="IMAGENET1K_V2").eval()
    dummy = torch.randn(1, 3, 224, 224)
    export_kwargs = dict(
        opset_version=17,
        input_names=["images"],
        output_names=["scores"],
    )
    tonnx.export(model, dummy, f"{out_dir}/resnet50.onnx", **export_kwargs)


def export_small(model, x, path, **cfg):
    # cfg comes from the caller: nothing here is known about it.
    onnx_export(model, x, path, **cfg)


def export_mobilenet():
    model = torchvision.models.mobilenet_v3_small().eval()
    x = torch.randn(1, 3, 224, 224)
    onnx_export(model, x, "mobilenet.onnx", opset_version=17, input_names=["pixels"], output_names=["logits"], dynamic_axes={"pixels": {0: "batch"},
                                                                                                                             "logits": {0: "batch"}})
