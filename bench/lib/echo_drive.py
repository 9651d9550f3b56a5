#!/usr/bin/env python3
"""Keystroke echo latency: runs an ssh command in a real pseudo-terminal whose remote side echoes every byte it
receives (`stty -icanon -echo; cat`, as a shell's line editor echoes what is typed), then types one character at a
time and times until that character is shown. A first round of probes waits for the session to be up.
Argv: KEYS PAUSE_MS -- COMMAND...  Prints one JSON object: {"ms": [round trip of each keystroke in milliseconds]}.
Ends the session with ^C (the remote cat dies of SIGINT) and exits 0 if every keystroke came back."""
import json, os, signal, sys, time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', 'test', 'helpers'))
from pty_io import read_some, spawn  # the tests' pty_drive.py uses the same

keys, pause = int(sys.argv[1]), float(sys.argv[2]) / 1000
pid, fd = spawn(sys.argv[sys.argv.index('--') + 1:])


def wait_for(byte, timeout):
    """Reads until `byte` is shown; returns the time it arrived, or None on timeout/EOF."""
    deadline = time.perf_counter() + timeout
    while True:
        left = deadline - time.perf_counter()
        if left <= 0:
            return None
        data = read_some(fd, left)
        now = time.perf_counter()
        if not data:  # nothing in time, or closed
            return None
        if byte in data:
            return now


def fail(msg):
    sys.stderr.write('echo_drive: %s\n' % msg)
    os.kill(pid, signal.SIGKILL)
    sys.exit(1)


# The session is up once a probe comes back (login, banner, stty take a while).
for attempt in range(60):
    os.write(fd, b'#')
    if wait_for(b'#', 0.5) is not None:
        break
else:
    fail('no echo within 30 s')
time.sleep(0.2)
while read_some(fd, 0.05):  # late echoes of extra probes
    pass

letters = b'abcdefghijklmnopqrstuvwxyz'
ms = []
for i in range(keys):
    c = letters[i % len(letters):i % len(letters) + 1]
    start = time.perf_counter()
    os.write(fd, c)
    end = wait_for(c, 10)
    if end is None:
        fail('keystroke %d not echoed within 10 s' % i)
    ms.append((end - start) * 1000)
    time.sleep(pause)

os.write(fd, b'\x03')
end_by = time.time() + 10
while time.time() < end_by:  # until the session closes the terminal (EOF, or EIO on Linux)
    if read_some(fd, 0.5) is None:
        break
for _ in range(50):  # ssh exits soon after the terminal closes
    if os.waitpid(pid, os.WNOHANG) != (0, 0):
        break
    time.sleep(0.1)
else:
    os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)
print(json.dumps({'ms': ms}))
