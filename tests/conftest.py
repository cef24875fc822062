"""Shared fixtures and helpers: offline settings, paths, the real data in ../shared/data when it exists,
a tiny model, a local chat endpoint, and ``kedro`` run in a scratch copy of the project.

Test modules take what they share from here (or from a conftest.py nearer to them), never from each other.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

for key, value in {
    "HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1",
    "KEDRO_DISABLE_TELEMETRY": "true", "MLFLOW_DISABLE_TELEMETRY": "true", "DO_NOT_TRACK": "1",
    "TOKENIZERS_PARALLELISM": "false",
}.items():
    os.environ.setdefault(key, value)

PROJECT_ROOT = Path(__file__).resolve().parents[1]
RAW = PROJECT_ROOT / "data" / "01_raw"
CPU_1PROC = PROJECT_ROOT / "conf" / "base" / "accelerate" / "cpu_1proc.yaml"
KEDRO = str(Path(sys.executable).with_name("kedro"))
NO_SHARED_DATA = "real data not found: put the shared data at ../shared/data or set XLLM_SHARED_DATA"


def _shared_data() -> Path | None:
    for candidate in (os.environ.get("XLLM_SHARED_DATA"), PROJECT_ROOT.parent / "shared" / "data"):
        if candidate and Path(candidate, "SOURCES.md").exists():
            return Path(candidate)
    return None


SHARED = _shared_data()


@pytest.fixture(autouse=True)
def _notices_said_afresh():
    """Each test starts as a run does: a notice said once per run (quiet.once) is said again."""
    from xllm_kedro.quiet import forget_notices

    forget_notices()


@pytest.fixture
def shared_data() -> Path:
    if SHARED is None:
        pytest.skip(NO_SHARED_DATA)
    return SHARED


def parameters(env: str = "base") -> dict:
    """The parameters ``kedro run --env <env>`` reads: conf/base with conf/<env> on top (never conf/local,
    which is each developer's own)."""
    from kedro.config import OmegaConfigLoader

    loader = OmegaConfigLoader(conf_source=str(PROJECT_ROOT / "conf"), base_env="base", default_run_env="base", env=env)
    return loader["parameters"]


def sample_parameters() -> dict:
    """``--env sample``: the real-language sample of data/01_raw (en, zh, vi), which pipeline tests run on."""
    return parameters("sample")


def declared_tasks(env: str = "base") -> dict:
    """The evaluation tasks that conf/<env> declares (parameters ``tasks``, which an environment replaces whole)."""
    return parameters(env)["tasks"]


# --- models ------------------------------------------------------------------------------------------

def save_tiny_llama(texts, out: Path, *, vocab_size: int, seed: int = 0, **config) -> Path:
    """Train a byte-level BPE tokenizer on ``texts``, build a tiny LLaMA for it and save both in ``out``."""
    from xllm_kedro.training.tiny_model import build_tiny_llama, save_model, train_tokenizer

    tokenizer = train_tokenizer(texts, vocab_size=vocab_size)
    save_model(build_tiny_llama(tokenizer, seed=seed, **config), tokenizer, out)
    return out


@pytest.fixture(scope="session")
def tiny_model_dir(tmp_path_factory) -> Path:
    """A tiny LLaMA and its tokenizer, trained here on the embedded sample data."""
    from xllm_kedro.corpora import read_instructions

    texts = [r["instruction"] + "\n" + r["output"] for lang in ("en", "zh", "vi")
             for r in read_instructions(RAW / "alpaca" / f"{lang}.json")]
    return save_tiny_llama(texts, tmp_path_factory.mktemp("tiny") / "model", vocab_size=400, hidden_size=32,
                           intermediate_size=64, num_hidden_layers=2, num_attention_heads=2, num_key_value_heads=2,
                           max_position_embeddings=256)


def response_loss(model_dir: Path, records: list[dict], max_length: int = 256) -> float:
    """Mean loss per response token of the model in ``model_dir`` on instruction ``records`` (the
    quantity supervised fine-tuning lowers)."""
    import torch

    from xllm_kedro.training.examples import EncodeReport, collate, encode_example
    from xllm_kedro.training.tiny_model import load_model

    model, tokenizer = load_model(model_dir)
    total, tokens = 0.0, 0
    with torch.no_grad():
        for record in records:
            example = encode_example(tokenizer, record, max_length, EncodeReport())
            batch = collate([example], tokenizer.pad_token_id)
            n = int((batch["labels"][:, 1:] != -100).sum())
            total += float(model(**batch).loss) * n
            tokens += n
    return total / tokens


@pytest.fixture
def mlflow_store(tmp_path):
    """MLflow tracking into a database under ``tmp_path``; the previous tracking URI comes back afterwards."""
    import mlflow

    before = mlflow.get_tracking_uri()
    mlflow.set_tracking_uri(f"sqlite:///{tmp_path / 'mlflow.db'}")

    def use(experiment: str) -> None:
        mlflow.set_experiment(experiment)

    yield use
    mlflow.set_tracking_uri(before)


# --- a local OpenAI-style endpoint ---------------------------------------------------------------------

@pytest.fixture
def chat_server():
    """An OpenAI-style /chat/completions server on 127.0.0.1 that answers with the next scripted reply."""
    from xllm_kedro.evaluation.scorers.chat import ChatEndpoint

    seen, replies = [], []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            seen.append({"path": self.path, "auth": self.headers.get("Authorization"), "body": body})
            payload = json.dumps({"choices": [{"message": {"role": "assistant", "content": replies.pop(0)}}]}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    endpoint = ChatEndpoint(f"http://127.0.0.1:{server.server_port}/v1", "sk-test", "judge-model", timeout_s=5)
    yield endpoint, seen, replies
    server.shutdown()
    server.server_close()


# --- a real OpenAI-compatible server: `transformers serve` with tiny models -------------------------------

# One fixed reply serves both roles: its numbered lines are self-instruct proposals (one for each of
# Wang et al.'s rules, then keepers), its last two lines a pairwise verdict. Assistant 1 always gets 8 and
# Assistant 2 always 6: a judge biased to the first position, which asking in both orders turns into ties.
FIXED_REPLY = """Describe the life cycle of a butterfly in simple terms.
5. Draw a map of your neighbourhood with the main streets.
6. Summarise.
7. ? What is the tallest mountain in Africa
8. Write a program that sorts a list of numbers.
9. Écrivez un poème sur la mer.
10. Describe the life cycle of a butterfly in simple words.
11. Suggest three names for a friendly robot in a story.
12. Explain why the sky looks blue during the day.
Score of the Assistant 1: 8
Score of the Assistant 2: 6"""
SEED_INSTRUCTIONS = ["Give three tips for staying healthy.", "What are the three primary colors?",
                     "Describe the structure of an atom.", "How can we reduce air pollution?",
                     "Pretend you are a project manager and describe a tough decision.",
                     "Explain why the moon has phases.", "Name five animals that live in the desert.",
                     "Rewrite the sentence in the passive voice."]
CHAT_TEMPLATE = "{% for m in messages %}{{ m['content'] }}{% endfor %}\n### Response:\n"


def _served_prompts(n: int) -> list[str]:
    """Prompts like those the tests send: self-instruct requests and pairwise judge questions."""
    import random

    from xllm_kedro.evaluation.scorers.judge import PAIRWISE_PROMPT
    from xllm_kedro.mi_eval.self_instruct import prompt

    rng = random.Random(0)
    words = " ".join(SEED_INSTRUCTIONS).split()
    phrase = lambda: " ".join(rng.choices(words, k=rng.randint(3, 12)))  # noqa: E731
    return [prompt(rng.sample(SEED_INSTRUCTIONS, 3), 8) if i % 2 else
            PAIRWISE_PROMPT.format(question=phrase(), first=phrase(), second=phrase()) for i in range(n)]


def train_fixed_reply_model(out: Path, reply: str, *, steps: int = 70, trained: bool = True) -> Path:
    """A tiny LLaMA with a chat template that answers ``reply`` to any prompt of the served kind (trained
    for ``steps`` with the loss on the reply), or, untrained, answers noise."""
    import torch

    from xllm_kedro.training.tiny_model import build_tiny_llama, save_model, train_tokenizer

    prompts = _served_prompts(64)
    tokenizer = train_tokenizer(prompts + [reply] * 20, vocab_size=600)
    tokenizer.chat_template = CHAT_TEMPLATE
    model = build_tiny_llama(tokenizer, seed=0, hidden_size=64, intermediate_size=128, num_hidden_layers=2,
                             num_attention_heads=4, num_key_value_heads=4, max_position_embeddings=1024)
    target = tokenizer(reply, add_special_tokens=False)["input_ids"] + [tokenizer.eos_token_id]

    def chat_ids(text: str) -> list[int]:
        ids = tokenizer.apply_chat_template([{"role": "user", "content": text}], tokenize=True, add_generation_prompt=True)
        return list(ids if isinstance(ids, list) else ids["input_ids"])

    encoded = [chat_ids(p) for p in prompts]
    optimiser = torch.optim.AdamW(model.parameters(), lr=5e-3)
    torch.manual_seed(0)
    for step in range(steps if trained else 0):
        batch = [encoded[(step * 4 + k) % len(encoded)] for k in range(4)]
        width = max(len(b) for b in batch) + len(target)
        ids = torch.full((4, width), tokenizer.pad_token_id)
        labels = torch.full((4, width), -100)
        for row, b in enumerate(batch):
            ids[row, :len(b) + len(target)] = torch.tensor(b + target)
            labels[row, len(b):len(b) + len(target)] = torch.tensor(target)
        loss = model(input_ids=ids, attention_mask=(ids != tokenizer.pad_token_id).long(), labels=labels).loss
        loss.backward()
        optimiser.step()
        optimiser.zero_grad()
    model.eval()
    if trained:  # the tests' counts rest on the exact reply: check it on a prompt not trained on
        from xllm_kedro.evaluation.scorers.judge import PAIRWISE_PROMPT

        ids = torch.tensor([chat_ids(PAIRWISE_PROMPT.format(question="Which is larger, a cat or a whale?",
                                                            first="A whale.", second="A cat."))])
        with torch.no_grad():
            out_ids = model.generate(input_ids=ids, max_new_tokens=len(target) + 4, do_sample=False)
        got = tokenizer.decode(out_ids[0, ids.shape[1]:], skip_special_tokens=True)
        if got != reply:
            raise RuntimeError(f"the fixed-reply model did not learn its reply in {steps} steps: {got!r}")
    save_model(model, tokenizer, out)
    return out


@pytest.fixture(scope="session")
def local_openai_server(tmp_path_factory):
    """``transformers serve`` on 127.0.0.1, in a process group of its own (stopped as a group afterwards),
    serving two tiny models by path: ``fixed`` (answers FIXED_REPLY) and ``untrained`` (answers noise)."""
    import signal
    import socket
    import time
    import urllib.request
    from types import SimpleNamespace

    root = tmp_path_factory.mktemp("served")
    fixed = train_fixed_reply_model(root / "fixed", FIXED_REPLY)
    untrained = train_fixed_reply_model(root / "untrained", FIXED_REPLY, trained=False)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    log = open(root / "serve.log", "w")  # noqa: SIM115 - closed below, after the server
    proc = subprocess.Popen([str(Path(sys.executable).with_name("transformers")), "serve", "--host", "127.0.0.1",
                             "--port", str(port), "--device", "cpu"], stdout=log, stderr=subprocess.STDOUT,
                            start_new_session=True, env={**os.environ, "TQDM_DISABLE": "1"})
    try:
        deadline = time.monotonic() + 180
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"transformers serve exited ({proc.returncode}): {(root / 'serve.log').read_text()[-2000:]}")
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=2):
                    break
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError("transformers serve did not come up in 180 s") from None
                time.sleep(1)
        yield SimpleNamespace(base_url=f"http://127.0.0.1:{port}/v1", fixed=str(fixed), untrained=str(untrained))
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        log.close()


# --- the project as a user runs it ----------------------------------------------------------------------

def scratch_project(parent: Path) -> Path:
    """conf/ (without local), data/01_raw (without the generated world) and pyproject.toml under ``parent``;
    src/ stays empty because the package is imported from its install. Runs there leave this checkout
    untouched."""
    root = parent / "project"
    shutil.copytree(PROJECT_ROOT / "conf", root / "conf", ignore=shutil.ignore_patterns("local"))
    (root / "conf" / "local").mkdir()
    shutil.copytree(RAW, root / "data" / "01_raw", ignore=shutil.ignore_patterns("world"))  # generated: make world
    shutil.copy(PROJECT_ROOT / "pyproject.toml", root)
    (root / "src").mkdir()
    return root


STARTED_NODE = re.compile(r"Running node \d+/\d+: (\S+)")  # hooks.py: NodeProgressHook


def started_nodes(printed: str) -> list[str]:
    """The full names of the nodes a run started, in order, from what it printed."""
    return STARTED_NODE.findall(printed)


def kedro(root: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    """``kedro <args>`` in the project at ``root``; with ``check`` a failure raises with the output's tail."""
    env = {**os.environ, "COLUMNS": "200"}  # warnings as a user sees them: the project filters its own
    proc = subprocess.run([KEDRO, *args], cwd=root, env=env, capture_output=True, text=True, timeout=1200)
    if check and proc.returncode != 0:
        raise AssertionError(f"kedro {' '.join(args)} failed ({proc.returncode}):\n{proc.stdout[-4000:]}\n{proc.stderr[-4000:]}")
    return proc


@pytest.fixture
def project(tmp_path) -> Path:
    """A scratch copy of the project (see ``scratch_project``) for one test."""
    return scratch_project(tmp_path)


@pytest.fixture(scope="session")
def test_run(tmp_path_factory) -> Path:
    """``kedro run --env test`` once in a scratch copy of the project, shared by the modules that read
    what a whole run leaves (outputs, the MLflow store, the notebook, its console output in run.log)."""
    root = scratch_project(tmp_path_factory.mktemp("e2e"))
    proc = kedro(root, "run", "--env", "test")
    (root / "run.log").write_text(proc.stdout + proc.stderr, encoding="utf-8")  # what the console showed
    return root
