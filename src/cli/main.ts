// The `fumidai` command: one file per command group; errors become one line and a non-zero exit.
import '../ssh/padding.js'; // first: ssh2 must load with pooled packet padding
import '../ssh/packet-size.js'; // and with packets that fit the recording tap's pieces
import '../ssh/hybrid-kex.js'; // and with the post-quantum hybrid key exchange
import '../ssh/cipher-choice.js'; // and with the server choosing the cipher
import { Command, CommanderError } from 'commander';

// Owner-only from the first file on: keys, the store and its -wal/-shm, recordings and the trail (config/file-modes.ts).
process.umask(0o077);
import { fail, userLine, FumidaiError, type ErrorCode } from '../errors.js';
import { registerGrant } from './grant.js';
import { registerInit } from './init.js';
import { registerKey } from './key.js';
import { registerMfa } from './mfa.js';
import { registerAudit } from './audit.js';
import { registerReport } from './report.js';
import { registerPolicy } from './policy.js';
import { registerShip } from './ship.js';
import { registerServe } from './serve.js';
import { registerSessions } from './sessions.js';
import { registerTarget } from './target.js';
import { registerUser } from './user.js';
import { registerEvidence } from './evidence.js';
import { registerWeb } from './web.js';
import { registerCerts } from './certs.js';
import { registerRequests } from './requests.js';
import { registerAlerts } from './alerts.js';
import { registerHolds } from './holds.js';

/** Exit 3, not 1: the trail or a recording is not what was signed, as opposed to a command that could not run. */
const EVIDENCE_FAILED = new Set<ErrorCode>(['AUDIT_TAMPERED', 'RECORDING_TAMPERED', 'AUDIT_KEY_MISMATCH']);

const program = new Command('fumidai')
  .description('SSH bastion: access control and session recording for stock OpenSSH clients')
  .version('0.1.0')
  .exitOverride();
for (const register of [registerInit, registerServe, registerUser, registerTarget, registerGrant, registerKey, registerSessions, registerMfa, registerAudit, registerReport, registerPolicy, registerShip, registerEvidence, registerWeb, registerCerts, registerRequests, registerAlerts, registerHolds]) register(program);

try {
  await program.parseAsync(process.argv);
} catch (err) {
  if (err instanceof CommanderError) process.exit(err.exitCode);
  // A native module (better-sqlite3, ssh2's binding) built for another Node.js than this one: npm rebuild mends it.
  if ((err as NodeJS.ErrnoException).code === 'ERR_DLOPEN_FAILED') err = fail('NATIVE_MODULE_MISMATCH', process.version);
  console.error(userLine(err));
  if (!(err instanceof FumidaiError)) console.error(err);
  process.exit(err instanceof FumidaiError && EVIDENCE_FAILED.has(err.code) ? 3 : 1);
}
