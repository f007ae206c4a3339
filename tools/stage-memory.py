#!/usr/bin/env python3
"""Where a `kith` command spends its time and memory, stage by stage.

    python3 tools/stage-memory.py KITH ARGS…
    e.g. python3 tools/stage-memory.py .build/release/kith project --data DIR --priority normal

Runs KITH ARGS… on a pseudo-terminal, so that it draws its progress line, and prints a line with
the wall time each time the line changes stage (a rebuild's "writing identifier values and
statistics…", "resolving identity…", …), with the peak resident memory so far, the memory now and
the part of it that is file pages (mapped segments), sampled from /proc/PID/status every 0.25 s.
The last line gives the peak of the whole run.
"""
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from pty_lines import PtyLines  # noqa: E402


def memory(pid):
    """Resident and file-backed memory of `pid` in MiB (0, 0 once it has exited)."""
    rss = files = 0
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    rss = int(line.split()[1]) // 1024
                elif line.startswith("RssFile:"):
                    files = int(line.split()[1]) // 1024
    except OSError:
        pass
    return rss, files


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    sampled = {"rss": 0, "files": 0, "peak": 0}

    def sample(pid):
        sampled["rss"], sampled["files"] = memory(pid)
        sampled["peak"] = max(sampled["peak"], sampled["rss"])

    run = PtyLines(sys.argv[1:], tick=sample)
    last_stage, seconds = None, 0.0
    for seconds, text in run:
        # A stage is the line with its numbers taken out: a new count is not a new stage.
        stage = re.sub(r"[0-9.,%]+", "#", text)[:40]
        if stage != last_stage:
            print(f"{seconds:8.2f} s  peak {sampled['peak']:6d} MiB  now {sampled['rss']:6d} MiB "
                  f"(files {sampled['files']:5d})  {text[:120]}", flush=True)
            last_stage = stage
    print(f"{seconds:8.2f} s  end; peak {sampled['peak']} MiB; exit status {run.exit_code}")


if __name__ == "__main__":
    main()
