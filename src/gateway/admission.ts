// Limits on unauthenticated connections, as sshd's MaxStartups and PerSourceMaxStartups: a connection counts from
// accept until it is authenticated or gone, and one more than a limit is refused at accept, before it costs anything
// but a file descriptor for a moment. Pure counting; the front door does the I/O.

export interface StartupLimits {
  /** Unauthenticated connections at once, in all. */
  maxStartups: number;
  /** Unauthenticated connections at once from one address. */
  perSourceMaxStartups: number;
}

export type AdmitVerdict = { ok: true } | { ok: false; limit: keyof StartupLimits };

export class Admission {
  #total = 0;
  #perSource = new Map<string, number>();

  /** Counts a new connection from `ip` if both limits allow it. */
  admit(ip: string, limits: StartupLimits): AdmitVerdict {
    const fromIp = this.#perSource.get(ip) ?? 0;
    if (this.#total >= limits.maxStartups) return { ok: false, limit: 'maxStartups' };
    if (fromIp >= limits.perSourceMaxStartups) return { ok: false, limit: 'perSourceMaxStartups' };
    this.#total++;
    this.#perSource.set(ip, fromIp + 1);
    return { ok: true };
  }

  /** An admitted connection authenticated or went. Call once per admit. */
  release(ip: string): void {
    const n = (this.#perSource.get(ip) ?? 0) - 1;
    if (n > 0) this.#perSource.set(ip, n);
    else this.#perSource.delete(ip);
    this.#total = Math.max(0, this.#total - 1);
  }

  get unauthenticated(): number {
    return this.#total;
  }
}
