/**
 * A large, realistic Python module for the server tests and the benchmark: a header of imports,
 * then blocks of functions and a class (evaluation loop, ONNX export, ORT session, preprocessing),
 * each block with two findings (torch-inference-mode, onnx-export-dynamic-axes).
 */
const HEADER = `"""Model zoo utilities: evaluation, export and serving helpers (generated for the benchmark)."""
import onnxruntime as ort
import torch

`;

function block(i: number): string {
  return `
def evaluate_${i}(model, loader):
    """Top-1 accuracy of variant ${i}."""
    model.eval()
    correct = 0
    for images, labels in loader:
        logits = model(images)
        correct += (logits.argmax(dim=1) == labels).sum().item()
    return correct


def export_${i}(model, dummy, path="model_${i}.onnx"):
    torch.onnx.export(model, dummy, path, input_names=["images"], output_names=["logits"], opset_version=17)


def session_${i}(path):
    so = ort.SessionOptions()
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    so.intra_op_num_threads = ${(i % 8) + 1}
    return ort.InferenceSession(path, so, providers=["CPUExecutionProvider"])


class Preprocessor${i}:
    def __init__(self, size: int = 224):
        self.size = size
        self.mean = [0.485, 0.456, 0.406]

    def __call__(self, image):
        # resize, normalize, to a CHW tensor
        image = image.resize((self.size, self.size))
        values = [[(p / 255.0 - m) for p, m in zip(pixel, self.mean)] for pixel in image.getdata()]
        return torch.tensor(values).reshape(self.size, self.size, 3).permute(2, 0, 1)

`;
}

export const FINDINGS_PER_BLOCK = 2;

/** A module of at least `lines` lines; `blocks` function groups; `middle` is the line of a docstring in the middle block. */
export function bigScript(lines: number): { text: string; blocks: number; middleDocLine: number } {
  let text = HEADER;
  let blocks = 0;
  let middleDocLine = -1;
  const perBlock = block(0).split('\n').length - 1;
  const total = Math.ceil((lines - HEADER.split('\n').length) / perBlock);
  while (text.split('\n').length < lines) {
    if (blocks === Math.floor(total / 2)) middleDocLine = text.split('\n').length - 1 + 2; // 0-based line of the docstring
    text += block(blocks++);
  }
  return { text, blocks, middleDocLine };
}
