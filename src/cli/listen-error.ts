// A listener that cannot start is something the person starting fumidai can fix: say which setting, and how.
import { fail, type FumidaiError } from '../errors.js';

const WHY: Record<string, string> = {
  EADDRINUSE: 'the address is already in use (another fumidai, or an sshd?)',
  EACCES: 'ports below 1024 need root or CAP_NET_BIND_SERVICE (README: running as a dedicated user)',
  EADDRNOTAVAIL: 'this host has no such address',
  ENOTFOUND: 'the host name does not resolve',
};

/** `setting` names where the address came from and how to change it, e.g. "listen: in fumidai.yaml, or serve --listen". */
export function listenError(err: unknown, setting: string, address: string): FumidaiError | unknown {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  return code && WHY[code] ? fail('LISTEN_FAILED', address, WHY[code], setting) : err;
}
