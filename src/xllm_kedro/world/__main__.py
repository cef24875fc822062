"""``python -m xllm_kedro.world --out DIR [--seed N] [--set key=value ...]``: write a world."""

from __future__ import annotations

import argparse
import json

from xllm_kedro.world.writer import write_world


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Write a synthetic multilingual world.")
    parser.add_argument("--out", required=True, help="output directory (e.g. data/01_raw)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--languages", nargs="+", help="target codes (default: all)")
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                        help="any other WorldParams field, the value parsed as JSON (e.g. --set parallel=2000)")
    args = parser.parse_args(argv)
    params: dict = {"seed": args.seed}
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
