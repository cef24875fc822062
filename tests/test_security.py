"""No secrets in the repository, no remote code by default, safe deserialisation, local-only servers."""

from __future__ import annotations

import ast
import inspect
import re
import subprocess

import yaml

from xllm_kedro.training.tiny_model import load_model
from xllm_kedro.training.config import TrainConfig

from .conftest import PROJECT_ROOT

# Shapes of real credentials: provider key prefixes, private-key blocks, and long literal values given
# to secret-sounding keys. Placeholders such as ${...} or <your key> do not match.
SECRET_PATTERNS = [
    re.compile(r"\bsk-[A-Za-z0-9_-]{20,}"),                       # OpenAI-style
    re.compile(r"\bhf_[A-Za-z0-9]{30,}"),                         # Hugging Face
    re.compile(r"\bgh[pousr]_[A-Za-z0-9]{36,}"),                  # GitHub
    re.compile(r"\bAKIA[0-9A-Z]{16}\b"),                          # AWS access key id
    re.compile(r"\bxox[abposr]-[A-Za-z0-9-]{10,}"),               # Slack
    re.compile(r"-----BEGIN (?:RSA |EC |OPENSSH |DSA )?PRIVATE KEY-----"),
    re.compile(r"(?i)\b(?:api[_-]?key|secret|password|token|wandb_key)\b\s*[:=]\s*[\"']?[A-Za-z0-9/+_\-]{24,}"),
]


def secret_findings(text: str) -> list[str]:
    return [m.group(0) for pattern in SECRET_PATTERNS for m in pattern.finditer(text)]


def tracked_files() -> list:
    out = subprocess.run(["git", "ls-files"], cwd=PROJECT_ROOT, capture_output=True, text=True)
    if out.returncode == 0 and out.stdout.strip():
        return [PROJECT_ROOT / line for line in out.stdout.splitlines()]
    skip = {".venv", ".git", "data", "build", "__pycache__"}  # a copy without git: walk the sources
    return [p for p in PROJECT_ROOT.rglob("*") if p.is_file() and not skip & set(p.relative_to(PROJECT_ROOT).parts)]


def test_the_scanner_recognises_secret_shapes():
    planted = ['api_key: "' + "A1b2" * 8 + '"', "client = make(" + "sk-" + "x" * 40 + ")",
               "-----BEGIN " + "RSA PRIVATE KEY-----", "HF = '" + "hf_" + "Q" * 34 + "'"]
    assert all(secret_findings(line) for line in planted)
    assert secret_findings("api_key: ${oc.env:JUDGE_KEY}") == []
    assert secret_findings("api_key: null  # from conf/local/credentials.yml") == []


def test_no_tracked_file_holds_a_secret():
    leaks = {}
    for path in tracked_files():
        if path.is_file() and path.suffix not in {".png", ".safetensors", ".gz"}:
            found = secret_findings(path.read_text(encoding="utf-8", errors="ignore"))
            if found:
                leaks[str(path.relative_to(PROJECT_ROOT))] = found
    assert leaks == {}


def test_credentials_live_only_in_conf_local():
    assert not (PROJECT_ROOT / "conf" / "base" / "credentials.yml").exists()
    ignored = subprocess.run(["git", "check-ignore", "-q", "conf/local/credentials.yml"], cwd=PROJECT_ROOT)
    assert ignored.returncode == 0, "conf/local/credentials.yml must be git-ignored"


def test_remote_code_is_off_unless_a_parameter_turns_it_on():
    params = yaml.safe_load((PROJECT_ROOT / "conf" / "base" / "parameters.yml").read_text())
    assert params["trust_remote_code"] is False
    assert inspect.signature(load_model).parameters["trust_remote_code"].default is False
    assert TrainConfig("b", "t", "o").trust_remote_code is False
    literal_true = [str(p) for p in (PROJECT_ROOT / "src").rglob("*.py")
                    if re.search(r"trust_remote_code\s*=\s*True", p.read_text(encoding="utf-8"))]
    assert literal_true == []


def unsafe_deserialisation(source: str) -> list[str]:
    """Calls that may unpickle: ``pickle.load``/``loads`` (and ``Unpickler``), ``torch.load`` without
    ``weights_only=True``, any ``weights_only=False``, and accelerate's ``load_state`` (custom objects and
    RNG states come back through pickle) or ``register_for_checkpointing``."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Call):
            continue
        kw = {k.arg: k.value for k in node.keywords}
        if isinstance(kw.get("weights_only"), ast.Constant) and kw["weights_only"].value is not True:
            found.append(f"{node.lineno}: weights_only={kw['weights_only'].value}")
        func = node.func
        name = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
        owner = func.value.id if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) else ""
        if owner in {"pickle", "cPickle", "dill", "joblib"} and name in {"load", "loads", "Unpickler"}:
            found.append(f"{node.lineno}: {owner}.{name}")
        elif owner == "torch" and name == "load" and not (
                isinstance(kw.get("weights_only"), ast.Constant) and kw["weights_only"].value is True):
            found.append(f"{node.lineno}: torch.load without weights_only=True")
        elif name in {"load_state", "register_for_checkpointing"}:
            found.append(f"{node.lineno}: {name} (accelerate unpickles its custom objects)")
    return found


def test_the_deserialisation_check_recognises_unsafe_calls():
    planted = ["pickle.load(fh)", "pickle.loads(b)", "torch.load(p)", "torch.load(p, weights_only=False)",
               "x = f(weights_only=False)", "accelerator.load_state(d)", "acc.register_for_checkpointing(s)"]
    assert all(unsafe_deserialisation(line) for line in planted)
    assert unsafe_deserialisation("torch.load(p, weights_only=True)\npickle.dumps(x)\nsafetensors.torch.load_file(p)") == []


def test_nothing_in_the_repository_unpickles():
    unsafe = {}
    for path in tracked_files():
        if path.suffix == ".py" and path.is_file():
            found = unsafe_deserialisation(path.read_text(encoding="utf-8"))
            if found:
                unsafe[str(path.relative_to(PROJECT_ROOT))] = found
    assert unsafe == {}


def test_local_servers_bind_to_the_loopback_interface():
    makefile = (PROJECT_ROOT / "Makefile").read_text()
    for target in ("viz:", "mlflow-ui:"):
        recipe = makefile.split(f"\n{target}", 1)[1].split("\n\n", 1)[0]
        assert "--host 127.0.0.1" in recipe, target
    mlflow_conf = yaml.safe_load((PROJECT_ROOT / "conf" / "base" / "mlflow.yml").read_text())
    assert mlflow_conf["ui"]["host"] == "127.0.0.1"


def test_telemetry_is_off_through_the_project_files(monkeypatch):
    consent = yaml.safe_load((PROJECT_ROOT / ".telemetry").read_text())
    assert consent == {"consent": False}
    assert PROJECT_ROOT / ".telemetry" in tracked_files() or not (PROJECT_ROOT / ".git").exists()
    import importlib
    import os

    import xllm_kedro.settings as settings

    for key in ("MLFLOW_DISABLE_TELEMETRY", "DO_NOT_TRACK"):
        monkeypatch.delenv(key, raising=False)
    importlib.reload(settings)
    assert os.environ["MLFLOW_DISABLE_TELEMETRY"] == "true" and os.environ["DO_NOT_TRACK"] == "1"
