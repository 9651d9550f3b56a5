#!/usr/bin/env python3
"""Runs a command in a real pseudo-terminal and follows a JSON script of steps, as a person at a terminal would:
{"send": text} (all at once, as a paste), {"type": text} (a key every 30 ms), {"expect": regex} (waits up to 15 s), {"resize": [rows, cols]} (TIOCSWINSZ + SIGWINCH),
{"send_totp": regex} (the regex's group 1 in what was shown is a base32 secret: types oathtool's code for it).
Argv: ROWS COLS SCRIPT_JSON -- COMMAND... Prints everything the terminal showed; exits with the command's status."""
import fcntl, json, os, re, signal, struct, sys, termios, time
from pty_io import read_some, spawn  # beside this file (a script's folder is first on sys.path)

rows, cols, script = int(sys.argv[1]), int(sys.argv[2]), json.loads(sys.argv[3])
pid, fd = spawn(sys.argv[sys.argv.index('--') + 1:])

def winsize(r, c):
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack('HHHH', r, c, 0, 0))

winsize(rows, cols)
seen = b''

def pump(timeout):
    """Adds what the terminal shows within `timeout` to `seen`; False once it is closed."""
    global seen
    data = read_some(fd, timeout)
    if data is None:
        return False
    seen += data
    return True

for step in script:
    if 'send' in step:
        os.write(fd, step['send'].encode())
    elif 'type' in step:
        for ch in step['type']:
            os.write(fd, ch.encode())
            pause = time.time() + 0.03
            while time.time() < pause and pump(max(0, pause - time.time())):
                pass
    elif 'send_totp' in step:
        import subprocess
        secret = re.search(step['send_totp'].encode(), seen).group(1).decode()
        code = subprocess.run(['oathtool', '--totp', '-b', secret], capture_output=True, text=True).stdout.strip()
        os.write(fd, (code + '\r').encode())
    elif 'resize' in step:
        winsize(*step['resize'])
        os.kill(pid, signal.SIGWINCH)
    elif 'expect' in step:
        deadline = time.time() + step.get('timeout', 15)
        pattern = re.compile(step['expect'].encode())
        start = len(seen) if step.get('new') else 0
        while not pattern.search(seen, start):
            if time.time() > deadline or not pump(0.2):
                sys.stdout.buffer.write(seen)
                sys.stderr.write('pty_drive: timed out waiting for %r\n' % step['expect'])
                os.kill(pid, signal.SIGKILL)
                sys.exit(124)
while pump(15):
    pass
_, status = os.waitpid(pid, 0)
sys.stdout.buffer.write(seen)  # raw bytes: tests compare them exactly
sys.exit(os.waitstatus_to_exitcode(status) if hasattr(os, 'waitstatus_to_exitcode') else status >> 8)
