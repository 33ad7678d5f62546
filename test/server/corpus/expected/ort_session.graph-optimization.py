import numpy as np
import onnxruntime as ort
from onnxruntime import InferenceSession as IS, SessionOptions


def load(path: str) -> IS:
    so = SessionOptions()
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    so.intra_op_num_threads = 4
    sess = IS(path, so)
    return sess


def load_debug(path: str):
    opts = ort.SessionOptions()
    opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_BASIC
    return ort.InferenceSession(path, sess_options=opts, providers=["CPUExecutionProvider"])


def run(sess, batch: np.ndarray) -> np.ndarray:
    name = sess.get_inputs()[0].name
    return sess.run(None, {name: batch})[0]
