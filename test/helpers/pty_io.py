"""Pseudo-terminal plumbing shared by pty_drive.py (tests) and bench/lib/echo_drive.py (keystroke latency)."""
import os, pty, select


def spawn(cmd):
    """Runs `cmd` (an argv list) on a new pseudo-terminal; returns (pid, fd of the terminal's other side)."""
    pid, fd = pty.fork()
    if pid == 0:
        os.execvp(cmd[0], cmd)
    return pid, fd


def read_some(fd, timeout):
    """What the terminal shows within `timeout` seconds: b'' if nothing, None once it is closed (EOF, or EIO on Linux)."""
    if not select.select([fd], [], [], timeout)[0]:
        return b''
    try:
        return os.read(fd, 65536) or None
    except OSError:
        return None
