"""Runs inside the COMET environment (it needs only unbabel-comet): reads src/mt/ref JSON lines, writes
the system score and segment scores as JSON, atomically. Started by ``xllm_kedro.evaluation.scorers.comet``."""

import argparse
import json
import os


def main() -> None:
    parser = argparse.ArgumentParser()
    for flag in ("--checkpoint", "--input", "--output"):
        parser.add_argument(flag, required=True)
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--gpus", type=int, default=0)
    parser.add_argument("--progress", action="store_true", help="COMET's own bar (the caller's stderr is a terminal)")
    args = parser.parse_args()
    from comet import load_from_checkpoint

    with open(args.input, encoding="utf-8") as fh:
        rows = [json.loads(line) for line in fh if line.strip()]
    result = load_from_checkpoint(args.checkpoint).predict(rows, batch_size=args.batch_size, gpus=args.gpus,
                                                           progress_bar=args.progress)
    tmp = args.output + ".tmp"
    with open(tmp, "w", encoding="utf-8") as fh:
        json.dump({"system_score": float(result.system_score), "scores": [float(s) for s in result.scores]}, fh)
    os.replace(tmp, args.output)


if __name__ == "__main__":
    main()
