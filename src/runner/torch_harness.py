"""Inference Lens PyTorch harness: runs a user's script (or one function in it) under torch.profiler.

Shipped in the extension (dist/torch_harness.py) and started by src/runner/torch-runner.ts (the
extension's "Profile PyTorch Script..." command and `inference-lens torch`). Standard library plus
torch only; torch is imported only when profiling, so `--list-functions` and argument errors work
on any Python 3.8+.

    python torch_harness.py --out DIR [options] SCRIPT [-- SCRIPT_ARGS...]
    python torch_harness.py --list-functions SCRIPT

What it profiles:
  * --steps forward (default): the whole script runs as `__main__`; each outermost nn.Module call
    (a model's forward, with everything it calls) is one profiler step.
  * --function NAME: the script is imported (its `if __name__ == "__main__":` block does not run),
    then NAME() is called wait+warmup+active times, one step per call.
  * --steps none: the whole script is one recorded window, no schedule.
The schedule is torch.profiler.schedule(wait, warmup, active, repeat). By default the script is
stopped once the schedule is done (serving loops never end); --run-to-end lets it finish.

Output, in --out DIR: the Chrome trace(s) (`trace-<n>.pt.trace.json`, written atomically) and
`result.json` (schemaVersion 1: device, torch.cuda.max_memory_allocated/reserved, step times,
peak RSS, warnings). Progress goes to stdout as lines `@@inference-lens {json}`; the user's own
output passes through untouched.

Exit codes: 0 ok; 2 bad arguments; 3 environment (torch or CUDA missing); 4 the user's code
raised; 5 nothing was profiled (no step reached the active window).
"""

import argparse
import ast
import json
import os
import platform
import sys
import time
import traceback

SCHEMA_VERSION = 1
EVENT_PREFIX = "@@inference-lens "

EXIT_USAGE = 2
EXIT_ENVIRONMENT = 3
EXIT_SCRIPT_ERROR = 4
EXIT_NOTHING_PROFILED = 5


def emit(event, **fields):
    """One progress/status line for the runner. Flushed at once: the runner shows progress live."""
    fields["event"] = event
    sys.stdout.write(EVENT_PREFIX + json.dumps(fields) + "\n")
    sys.stdout.flush()


class HarnessError(Exception):
    """An error the runner shows as is: a stable code, a message, what to do, and the exit code."""

    def __init__(self, code, message, hint, exit_code):
        Exception.__init__(self, message)
        self.code = code
        self.message = message
        self.hint = hint
        self.exit_code = exit_code


class ScheduleDone(BaseException):
    """Raised out of the user's code once the schedule is complete (not an Exception: `except Exception` lets it through)."""


class ArgumentError(Exception):
    pass


class Parser(argparse.ArgumentParser):
    def error(self, message):
        raise ArgumentError(message)


def positive_int(text, minimum):
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError("%r is not a whole number" % text)
    if value < minimum:
        raise argparse.ArgumentTypeError("must be %d or more, got %d" % (minimum, value))
    return value


def parse_args(argv):
    if "--" in argv:
        cut = argv.index("--")
        own, script_args = argv[:cut], argv[cut + 1:]
    else:
        own, script_args = argv, []
    p = Parser(prog="torch_harness.py", add_help=True)
    p.add_argument("script")
    p.add_argument("--list-functions", action="store_true", help="list the script's top-level functions (no code is run)")
    p.add_argument("--out", help="folder for the trace and result.json")
    p.add_argument("--function", help="call this top-level function once per step instead of running the script")
    p.add_argument("--steps", choices=["forward", "none"], default="forward")
    p.add_argument("--wait", type=lambda t: positive_int(t, 0), default=1)
    p.add_argument("--warmup", type=lambda t: positive_int(t, 0), default=1)
    p.add_argument("--active", type=lambda t: positive_int(t, 1), default=3)
    p.add_argument("--repeat", type=lambda t: positive_int(t, 1), default=1)
    p.add_argument("--device", choices=["auto", "cpu", "cuda"], default="auto")
    p.add_argument("--no-stack", action="store_true")
    p.add_argument("--no-memory", action="store_true")
    p.add_argument("--no-shapes", action="store_true")
    p.add_argument("--run-to-end", action="store_true")
    args = p.parse_args(own)
    args.script_args = script_args
    if not args.list_functions and not args.out:
        raise ArgumentError("--out DIR is required")
    if args.function and args.steps == "none":
        raise ArgumentError("--function and --steps none cannot be combined (a function is profiled one call per step)")
    if args.function and not args.function.isidentifier():
        raise ArgumentError("--function takes a top-level function name, got %r" % args.function)
    return args


# ----- script loading ----------------------------------------------------------------------------


def read_script(path):
    if not os.path.isfile(path):
        raise HarnessError("script-missing", "Script not found: %s" % path, "Check the path; it must be a Python file.", EXIT_USAGE)
    with open(path, "rb") as f:
        source = f.read()
    try:
        tree = ast.parse(source, filename=path)
    except SyntaxError as e:
        raise HarnessError(
            "script-syntax",
            "%s:%s: syntax error: %s" % (path, e.lineno, e.msg),
            "Fix the syntax error (the script is not run).",
            EXIT_SCRIPT_ERROR,
        )
    return source, tree


def top_level_functions(tree):
    """Top-level `def`s with how many arguments a call must supply (0 means callable as NAME())."""
    out = []
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            a = node.args
            positional = list(getattr(a, "posonlyargs", [])) + list(a.args)
            required = len(positional) - len(a.defaults)
            required += sum(1 for d in a.kw_defaults if d is None)
            out.append({
                "name": node.name,
                "line": node.lineno,
                "requiredArgs": required,
                "async": isinstance(node, ast.AsyncFunctionDef),
                "doc": (ast.get_docstring(node) or "").strip().split("\n")[0][:120],
            })
    return out


def prepare_sys(script, script_args):
    """What `python script.py args` sets up: argv, the script's folder first on sys.path."""
    sys.argv = [script] + list(script_args)
    folder = os.path.dirname(os.path.abspath(script))
    if sys.path and sys.path[0] == os.path.dirname(os.path.abspath(__file__)):
        sys.path[0] = folder
    else:
        sys.path.insert(0, folder)


def make_module_globals(script, as_main):
    import types

    name = "__main__" if as_main else "__inference_lens_target__"
    module = types.ModuleType(name)
    module.__file__ = os.path.abspath(script)
    module.__builtins__ = __builtins__
    if as_main:
        # Pickling (DataLoader workers with spawn) looks classes up in sys.modules['__main__'].
        sys.modules["__main__"] = module
    else:
        sys.modules[name] = module
    return module.__dict__


def user_frame(tb, script):
    """The innermost traceback frame in the user's script (else the innermost frame)."""
    target = os.path.abspath(script)
    best = None
    last = None
    for frame, line in traceback.walk_tb(tb):
        last = (frame.f_code.co_filename, line)
        if os.path.abspath(frame.f_code.co_filename) == target:
            best = last
    return best or last


# ----- profiling ---------------------------------------------------------------------------------


def atomic_write(path, text):
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(text)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def peak_rss_bytes():
    try:
        import resource

        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        return rss if sys.platform == "darwin" else rss * 1024
    except Exception:
        return None


def cpu_name():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def import_torch(python):
    try:
        import torch  # noqa: F401
        import torch.profiler  # noqa: F401
    except ImportError as e:
        raise HarnessError(
            "torch-missing",
            "PyTorch is not installed for %s (%s)" % (python, e),
            "Install it into that environment (%s -m pip install torch) or choose an interpreter that has it." % python,
            EXIT_ENVIRONMENT,
        )
    return torch


class Run:
    """The profiler, its schedule and the step bookkeeping shared by the three modes."""

    def __init__(self, args, torch):
        self.args = args
        self.torch = torch
        self.traces = []
        self.step_ms = []
        self.step_phases = []
        self.step_start = None
        self.steps = 0
        self.cycle = args.wait + args.warmup + args.active
        self.total_steps = self.cycle * args.repeat
        self.done = False
        self.warnings = []

    def phase(self, step):
        if self.args.steps == "none":
            return "active"
        if step >= self.total_steps:
            return "after"
        k = step % self.cycle
        if k < self.args.wait:
            return "wait"
        if k < self.args.wait + self.args.warmup:
            return "warmup"
        return "active"

    def on_trace_ready(self, prof):
        path = os.path.join(self.args.out, "trace-%d.pt.trace.json" % (len(self.traces) + 1))
        tmp = path + ".tmp.json"
        prof.export_chrome_trace(tmp)
        os.replace(tmp, path)
        self.traces.append(path)
        emit("trace", path=path)

    def profiler(self):
        torch = self.torch
        activities = [torch.profiler.ProfilerActivity.CPU]
        if self.use_cuda:
            activities.append(torch.profiler.ProfilerActivity.CUDA)
        kwargs = dict(
            activities=activities,
            record_shapes=not self.args.no_shapes,
            profile_memory=not self.args.no_memory,
            with_stack=not self.args.no_stack,
            on_trace_ready=self.on_trace_ready,
        )
        if self.args.steps != "none":
            kwargs["schedule"] = torch.profiler.schedule(
                wait=self.args.wait, warmup=self.args.warmup, active=self.args.active, repeat=self.args.repeat
            )
        return torch.profiler.profile(**kwargs)

    def sync(self):
        if self.use_cuda:
            self.torch.cuda.synchronize()

    def begin_step(self):
        self.sync()
        self.step_start = time.perf_counter()

    def end_step(self, prof):
        """Closes one step: its time, the profiler's step(), the schedule's end."""
        self.sync()
        ms = (time.perf_counter() - (self.step_start or time.perf_counter())) * 1000.0
        phase = self.phase(self.steps)
        self.step_ms.append(round(ms, 4))
        self.step_phases.append(phase)
        self.steps += 1
        emit("step", step=self.steps, phase=phase, ms=round(ms, 3), of=self.total_steps)
        if prof is not None and self.args.steps != "none":
            prof.step()
        if self.args.steps != "none" and self.steps >= self.total_steps:
            self.done = True


def install_forward_stepping(run, prof_ref):
    """Global nn.Module hooks: the outermost module call of each step brackets one profiler step."""
    import torch.nn.modules.module as mm

    depth = [0]

    def pre(module, inputs):
        if depth[0] == 0:
            run.begin_step()
        depth[0] += 1

    def post(module, inputs, output=None):
        depth[0] -= 1
        if depth[0] == 0:
            run.end_step(prof_ref[0])
            if run.done and not run.args.run_to_end:
                raise ScheduleDone()

    h1 = mm.register_module_forward_pre_hook(pre)
    try:
        h2 = mm.register_module_forward_hook(post, always_call=True)
    except TypeError:  # torch < 2.0: no always_call; an exception inside forward then leaves depth > 0
        h2 = mm.register_module_forward_hook(post)
    return [h1, h2]


def profile(args):
    script = os.path.abspath(args.script)
    source, tree = read_script(script)
    functions = top_level_functions(tree)
    if args.function:
        match = [f for f in functions if f["name"] == args.function]
        if not match:
            names = ", ".join(f["name"] for f in functions) or "none"
            raise HarnessError(
                "function-missing",
                "No top-level function %r in %s" % (args.function, os.path.basename(script)),
                "Top-level functions there: %s." % names,
                EXIT_USAGE,
            )
        if match[0]["requiredArgs"] > 0:
            raise HarnessError(
                "function-arguments",
                "%s() needs %d argument(s); the harness calls it with none" % (args.function, match[0]["requiredArgs"]),
                "Wrap it in a function without parameters that builds its inputs once (e.g. with functools.cache) and calls it.",
                EXIT_USAGE,
            )
        if match[0]["async"]:
            raise HarnessError("function-async", "%s is async; the harness calls plain functions" % args.function,
                               "Wrap it: def step(): asyncio.run(%s())" % args.function, EXIT_USAGE)

    torch = import_torch(sys.executable)
    os.makedirs(args.out, exist_ok=True)
    cuda_available = bool(torch.cuda.is_available())
    if args.device == "cuda" and not cuda_available:
        built = getattr(torch.version, "cuda", None)
        raise HarnessError(
            "cuda-missing",
            "CUDA is not available to PyTorch %s (built %s)" % (torch.__version__, "with CUDA " + built if built else "for CPU only"),
            "Install a CUDA build of PyTorch and a matching NVIDIA driver, or profile on the CPU (device auto or cpu).",
            EXIT_ENVIRONMENT,
        )
    run = Run(args, torch)
    run.use_cuda = cuda_available and args.device != "cpu"
    if not cuda_available and args.device == "auto":
        run.warnings.append("CUDA is not available to PyTorch: profiled on the CPU only (CPU activities).")
    device_name = torch.cuda.get_device_name(0) if run.use_cuda else cpu_name()
    emit(
        "start",
        python=sys.version.split()[0],
        torch=torch.__version__,
        cuda=run.use_cuda,
        device=device_name,
        steps=run.total_steps if args.steps != "none" else None,
    )
    if run.use_cuda:
        torch.cuda.reset_peak_memory_stats()

    prepare_sys(script, args.script_args)
    code = compile(source, script, "exec")
    started = time.perf_counter()
    stopped_early = False
    error = None
    prof_ref = [None]
    hooks = []
    try:
        if args.function:
            g = make_module_globals(script, as_main=False)
            exec(code, g)  # module level only: the __main__ block does not run
            fn = g[args.function]
            with run.profiler() as prof:
                prof_ref[0] = prof
                for _ in range(run.total_steps):
                    run.begin_step()
                    fn()
                    run.end_step(prof)
        else:
            g = make_module_globals(script, as_main=True)
            if args.steps == "forward":
                hooks = install_forward_stepping(run, prof_ref)
            with run.profiler() as prof:
                prof_ref[0] = prof
                if args.steps == "none":
                    run.begin_step()
                try:
                    exec(code, g)
                except ScheduleDone:
                    stopped_early = True
                if args.steps == "none":
                    run.end_step(prof)
    except SystemExit as e:
        if e.code not in (None, 0):
            error = HarnessError("script-exit", "The script called sys.exit(%r)" % (e.code,), "See its output above.", EXIT_SCRIPT_ERROR)
    except ScheduleDone:
        stopped_early = True
    except BaseException as e:  # the user's code raised (KeyboardInterrupt included)
        where = user_frame(e.__traceback__, script)
        traceback.print_exc()
        loc = " at %s:%d" % where if where else ""
        error = HarnessError(
            "script-error",
            "%s: %s%s" % (type(e).__name__, e, loc),
            "The script raised; its traceback is in the output. Fix it and profile again.",
            EXIT_SCRIPT_ERROR,
        )
        error.file, error.line = (where if where else (None, None))
    finally:
        for h in hooks:
            h.remove()
    wall = time.perf_counter() - started

    if args.steps != "none" and run.steps < run.total_steps and not error:
        active_seen = sum(1 for p in run.step_phases if p == "active")
        if not run.traces:
            hint = (
                "Give it more iterations, lower wait/warmup, or name a function to call."
                if args.steps == "forward"
                else ""
            )
            if run.steps == 0 and args.steps == "forward":
                hint = (
                    "No nn.Module call was seen (TorchScript and compiled callables don't fire module hooks). "
                    "Profile the whole run (steps: none) or name a function to call once per step."
                )
            raise HarnessError(
                "no-steps",
                "The script finished after %d step(s); the schedule needs %d (wait %d, warmup %d, active %d) before anything is recorded"
                % (run.steps, run.cycle, args.wait, args.warmup, args.active),
                hint,
                EXIT_NOTHING_PROFILED,
            )
        run.warnings.append("The script finished after %d of %d scheduled steps (%d active)." % (run.steps, run.total_steps, active_seen))

    result = {
        "schemaVersion": SCHEMA_VERSION,
        "script": script,
        "function": args.function,
        "mode": "function" if args.function else ("steps-forward" if args.steps == "forward" else "whole-run"),
        "args": args.script_args,
        "python": {"version": sys.version.split()[0], "executable": sys.executable},
        "torch": torch.__version__,
        "device": "cuda" if run.use_cuda else "cpu",
        "deviceName": device_name,
        "cuda": {
            "available": cuda_available,
            "version": getattr(torch.version, "cuda", None),
            "maxMemoryAllocated": int(torch.cuda.max_memory_allocated()) if run.use_cuda else None,
            "maxMemoryReserved": int(torch.cuda.max_memory_reserved()) if run.use_cuda else None,
        },
        "schedule": None if args.steps == "none" else {"wait": args.wait, "warmup": args.warmup, "active": args.active, "repeat": args.repeat},
        "steps": [{"ms": ms, "phase": ph} for ms, ph in zip(run.step_ms, run.step_phases)],
        "traces": run.traces,
        "peakRssBytes": peak_rss_bytes(),
        "wallSeconds": round(wall, 4),
        "stoppedAfterSchedule": stopped_early,
        "warnings": run.warnings,
        "error": None if error is None else {"code": error.code, "message": error.message, "hint": error.hint},
    }
    result_path = os.path.join(args.out, "result.json")
    atomic_write(result_path, json.dumps(result, indent=1))
    emit("done", result=result_path, traces=run.traces)
    if error is not None:
        raise error
    return 0


def main(argv):
    try:
        args = parse_args(argv)
        if args.list_functions:
            _, tree = read_script(args.script)
            emit("functions", functions=top_level_functions(tree))
            return 0
        return profile(args)
    except ArgumentError as e:
        emit("error", code="usage", message="torch_harness.py: %s" % e, hint="Run torch_harness.py --help for the options.")
        sys.stderr.write("torch_harness.py: %s\n" % e)
        return EXIT_USAGE
    except HarnessError as e:
        fields = {"code": e.code, "message": e.message, "hint": e.hint}
        if getattr(e, "file", None):
            fields["file"], fields["line"] = e.file, e.line
        emit("error", **fields)
        return e.exit_code


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
