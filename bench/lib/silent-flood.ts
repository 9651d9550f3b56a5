// Login time during a flood of silent sockets (clients that connect and never send a version line), against the
// same login without one: the front door's startup limits and version deadline should keep it close.
import { stats, type Stats } from './measure.js';
import { destroyAll, openRawClients, type RawClient } from '../../test/helpers/silent.js';

/** Four addresses of 127.0.0.0/8, none of them a real client's: their share stays below auth.maxStartups. */
const FLOODERS = ['127.0.0.20', '127.0.0.21', '127.0.0.22', '127.0.0.23'];

export interface SilentFloodResult {
  quiet: Stats;
  flood: Stats;
  /** Silent sockets opened while the logins were timed. */
  opened: number;
}

/** `login` resolves with one login's time (ms); it runs `reps` times quiet, then `reps` times while `n` sockets at least keep coming. */
export async function silentFloodLogins(port: number, n: number, reps: number, login: () => Promise<number>): Promise<SilentFloodResult> {
  const quiet: number[] = [];
  for (let i = 0; i < reps; i++) quiet.push(await login());
  const sockets: RawClient[] = [];
  let stop = false;
  const flooding = (async () => {
    // Batches of 200 until the logins are done (and at least n were opened), each batch kept open.
    while (!stop || sockets.length < n) sockets.push(...(await openRawClients(port, 200, FLOODERS)));
  })();
  const flood: number[] = [];
  try {
    while (sockets.length < 400) await new Promise((r) => setTimeout(r, 20)); // the flood is under way
    for (let i = 0; i < reps; i++) flood.push(await login());
  } finally {
    stop = true;
    await flooding;
    destroyAll(sockets);
  }
  return { quiet: stats(quiet), flood: stats(flood), opened: sockets.length };
}
