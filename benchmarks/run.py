"""Run every benchmark script ``benchmarks/bench_*.py`` (``make bench``); each prints its own ratios.

Usage: .venv/bin/python benchmarks/run.py [NAME ...]   (NAME filters scripts by substring)
"""

from __future__ import annotations

import platform
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main() -> int:
    filters = sys.argv[1:]
    scripts = sorted(p for p in HERE.glob("bench_*.py") if not filters or any(f in p.name for f in filters))
    print(
        f"# lupex benchmarks {datetime.now(UTC):%Y-%m-%d %H:%M}Z on {platform.node()} "
        f"({platform.processor() or platform.machine()}, python {platform.python_version()})",
        flush=True,
    )
    status = 0
    for script in scripts:
        print(f"\n## {script.name}", flush=True)
        result = subprocess.run([sys.executable, str(script)], cwd=HERE.parent, check=False)
        status = status or result.returncode
    return status


if __name__ == "__main__":
    sys.exit(main())
