// The data directory: where fumidai keeps its keys, config and store. `init` creates it; everything else opens it.
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { DIR_MODE } from './file-modes.js';
import { join, resolve } from 'node:path';
import ssh2 from 'ssh2';
import { fail } from '../errors.js';
import { loadConfig } from './load.js';
import type { Config } from './schema.js';
import { configTemplate } from './template.js';

export const CONFIG_FILE = 'fumidai.yaml';
export const STORE_FILE = 'fumidai.db';
const HOST_ECDSA_KEY = 'host_ecdsa_key';

export function dataDirFrom(option?: string): string {
  return resolve(option ?? process.env.FUMIDAI_DATA ?? 'fumidai-data');
}

export interface InitResult {
  dir: string;
  created: string[];
}

/** Creates what is missing and never overwrites: running init twice is safe. */
export function initDataDir(dir: string): InitResult {
  const created: string[] = [];
  mkdirSync(dir, { recursive: true, mode: DIR_MODE });
  chmodSync(dir, DIR_MODE); // an existing directory too: mkdir leaves its mode as it was
  const write = (name: string, content: string, mode: number) => {
    const path = join(dir, name);
    if (existsSync(path)) return;
    writeFileSync(path, content, { mode, flag: 'wx' });
    created.push(name);
  };
  for (const name of ['host_ed25519_key', 'upstream_ed25519_key']) {
    if (existsSync(join(dir, name))) continue;
    const pair = generateEd25519(`fumidai-${name.split('_')[0]}`);
    write(name, pair.private, 0o600);
    write(`${name}.pub`, pair.public + '\n', 0o600);
  }
  // A second host key for clients without ed25519. ECDSA P-256 rather than RSA: ssh2 offers an RSA host key with
  // SHA-1 signatures (ssh-rsa) too, which OpenSSH's sshd no longer does by default.
  if (!existsSync(join(dir, HOST_ECDSA_KEY))) {
    const pair = ssh2.utils.generateKeyPairSync('ecdsa', { bits: 256, comment: 'fumidai-host' });
    write(HOST_ECDSA_KEY, pair.private, 0o600);
    write(`${HOST_ECDSA_KEY}.pub`, pair.public + '\n', 0o644);
  }
  write(CONFIG_FILE, configTemplate, 0o600);
  return { dir, created };
}

/**
 * Node exports ed25519 only as PKCS#8, which ssh2 rejects, so keys are generated in OpenSSH format by ssh2 itself.
 * About 1 in 200 of its ed25519 keys comes out malformed (a key starting with a zero byte loses it and no longer
 * parses): such a key is thrown away and another made, so `init` never writes a key the server cannot load.
 */
export function generateEd25519(comment: string): { private: string; public: string } {
  for (let attempt = 0; attempt < 20; attempt++) {
    const pair = ssh2.utils.generateKeyPairSync('ed25519', { comment });
    const parsed = ssh2.utils.parseKey(pair.private);
    if (!(parsed instanceof Error) && parsed.getPublicSSH().length === 51) return pair;
  }
  throw new Error('could not generate a valid ed25519 key');
}

export interface DataDir {
  dir: string;
  config: Config;
  configFile: string;
  storeFile: string;
  path(relative: string): string;
  readKey(relative: string): Buffer;
}

export function openDataDir(dir: string): DataDir {
  const configFile = join(dir, CONFIG_FILE);
  if (!existsSync(configFile)) throw fail('DATA_DIR_MISSING', dir);
  const config = loadConfig(configFile);
  const path = (p: string) => resolve(dir, p);
  return {
    dir,
    config,
    configFile,
    storeFile: join(dir, STORE_FILE),
    path,
    readKey: (p: string) => readFileSync(path(p)),
  };
}
