"""``python -m xllm_kedro.world --out DIR [--params FILE] [--seed N] [--set key=value ...]``: write a world.

``--params`` reads the ``world`` key of a YAML file (the project's conf/base/parameters_world.yml);
``--seed``, ``--languages`` and ``--set`` override it."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import yaml

from xllm_kedro.world.writer import write_world


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Write a synthetic multilingual world.")
    parser.add_argument("--out", required=True, help="output directory (e.g. data/01_raw)")
    parser.add_argument("--params", type=Path, help="YAML file whose 'world' key holds the parameters")
    parser.add_argument("--seed", type=int)
    parser.add_argument("--languages", nargs="+", help="target codes (default: all)")
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                        help="any other WorldParams field, the value parsed as JSON (e.g. --set parallel=2000)")
    args = parser.parse_args(argv)
    params: dict = {}
    if args.params:
        params.update((yaml.safe_load(args.params.read_text(encoding="utf-8")) or {}).get("world") or {})
    if args.seed is not None:
        params["seed"] = args.seed
    if args.languages:
        params["languages"] = args.languages
    for item in args.set:
        key, sep, value = item.partition("=")
        if not sep:
            parser.error(f"--set {item!r}: expected KEY=VALUE")
        params[key] = json.loads(value)
    manifest = write_world(args.out, **params)
    print(f"wrote {len(manifest['files'])} files to {args.out}")


if __name__ == "__main__":
    main()
