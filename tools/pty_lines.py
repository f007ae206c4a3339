"""A command's output as its terminal shows it, line by line, for tools that time stages.

`kith` draws its progress line only on a terminal, so tools/stage-memory.py and
tools/scale-run.sh run it on a pseudo-terminal and read what it draws, one line (or
carriage-return-separated update) at a time, escape codes removed:

    run = PtyLines(["kith", "project", "--data", "DIR"], tick=lambda pid: ...)
    for seconds, text in run: ...
    run.exit_code
"""
import os
import pty
import re
import select
import time


class PtyLines:
    def __init__(self, argv, tick=None, every=0.25):
        """`tick(pid)`, if given, is called every `every` seconds while the command runs."""
        self.argv, self.tick, self.every = argv, tick, every
        self.exit_code = None

    def __iter__(self):
        start = time.time()
        pid, fd = pty.fork()
        if pid == 0:
            os.execvp(self.argv[0], self.argv)
        while True:
            ready, _, _ = select.select([fd], [], [], self.every)
            if self.tick:
                self.tick(pid)
            if not ready:
                continue
            try:
                chunk = os.read(fd, 65536)
            except OSError:
                break
            if not chunk:
                break
            for part in re.split(rb"[\r\n]", chunk):
                text = re.sub(r"\x1b\[[0-9;]*[A-Za-z]", "", part.decode(errors="replace")).strip()
                if text:
                    yield time.time() - start, text
        _, status = os.waitpid(pid, 0)
        self.exit_code = os.waitstatus_to_exitcode(status)
