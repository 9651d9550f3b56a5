// How many connections of each user wait at the verification code prompt on this node. Someone holding a stolen key
// could otherwise open many connections before a lockout and guess codes on all of them at once: the number waiting
// per user is capped (auth.maxPendingMfa), and a connection holds its place from its accepted key until it is let in,
// locked out or gone.

export class PendingMfa {
  #waiting = new Map<string, number>();

  /** Takes a place for `user` if fewer than `cap` are taken; false when the user is at the cap. */
  enter(user: string, cap: number): boolean {
    const n = this.#waiting.get(user) ?? 0;
    if (n >= cap) return false;
    this.#waiting.set(user, n + 1);
    return true;
  }

  /** Gives back a place taken by enter. */
  leave(user: string): void {
    const n = (this.#waiting.get(user) ?? 0) - 1;
    if (n > 0) this.#waiting.set(user, n);
    else this.#waiting.delete(user);
  }

  waiting(user: string): number {
    return this.#waiting.get(user) ?? 0;
  }
}
