// The thread of verifyRootOffThread: verifies the audit directory it is given with the key it is given, answers once.
import { createPublicKey } from 'node:crypto';
import { parentPort, workerData } from 'node:worker_threads';
import { verifyRoot } from './verify-all.js';

const { root, key } = workerData as { root: string; key: Uint8Array };
parentPort!.postMessage(verifyRoot(root, createPublicKey({ key: Buffer.from(key), format: 'der', type: 'spki' })));
