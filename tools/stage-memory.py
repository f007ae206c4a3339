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
import pty
import re
import select
import sys
import time


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
    start = time.time()
    pid, fd = pty.fork()
    if pid == 0:
        os.execv(sys.argv[1], sys.argv[1:])
    last_stage, peak = None, 0
    while True:
        ready, _, _ = select.select([fd], [], [], 0.25)
        rss, files = memory(pid)
        peak = max(peak, rss)
        if not ready:
            continue
        try:
            chunk = os.read(fd, 4096)
        except OSError:
            break
        if not chunk:
            break
        for part in re.split(rb"[\r\n]", chunk):
            text = re.sub(r"\x1b\[[0-9;]*[A-Za-z]", "", part.decode(errors="replace")).strip()
            if not text:
                continue
            # A stage is the line with its numbers taken out: a new count is not a new stage.
            stage = re.sub(r"[0-9.,%]+", "#", text)[:40]
            if stage != last_stage:
                print(f"{time.time() - start:8.2f} s  peak {peak:6d} MiB  now {rss:6d} MiB (files {files:5d})  {text[:120]}",
                      flush=True)
                last_stage = stage
    _, status = os.waitpid(pid, 0)
    print(f"{time.time() - start:8.2f} s  end; peak {peak} MiB; exit status {os.waitstatus_to_exitcode(status)}")


if __name__ == "__main__":
    main()
