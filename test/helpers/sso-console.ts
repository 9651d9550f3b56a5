// A bastion whose console signs people in through a real OpenID provider (oidc-provider on 127.0.0.1): the console's
// port is chosen first, so that its redirect URI can be registered at the provider; and the browser steps at the
// provider's own login and consent pages, as a person takes them.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { Bastion } from './fumidai.js';
import { startIdp, type Idp, type IdpAccount } from './oidc-idp.js';
import { freePort } from './proc.js';
import { LOGIN } from './sshd.js';

export interface SsoConsole {
  bastion: Bastion;
  idp: Idp;
  base: string;
  ca: Buffer;
}

/** A `requires: approval` rule: alice (dba) asks for db1, bob (leads) approves. */
export const JIT_POLICY = `
groups:
  dba: [alice]
  leads: [bob]
rules:
  - name: db-jit
    effect: allow
    groups: [dba]
    targets: [db1]
    logins: [${LOGIN}]
    requires: approval
    approvers: [leads]
    maxDuration: 1h
`;

/** web.sso.roles of these tests: IdP group `sec` -> admin, `ops` -> auditor. */
export const SSO_ROLES = '{ admin: [sec], auditor: [ops] }';

/**
 * Inits the bastion with auth.oidc, web.url and web.sso, and `edits` (more config text edits); `setup` runs before
 * serve starts (users, targets, policy). The caller stops bastion and idp.
 */
export async function startSsoConsole(accounts: Record<string, IdpAccount>, setup: (b: Bastion) => Promise<void> = async () => undefined, edits: Record<string, string> = {}): Promise<SsoConsole> {
  const port = await freePort();
  const base = `https://127.0.0.1:${port}`;
  const idp = await startIdp(accounts, { redirectUris: [`${base}/login/sso/callback`] });
  const bastion = new Bastion();
  const oidc = ['  secondFactor: totp', '  oidc:', `    issuer: ${idp.issuer}`, `    clientId: ${idp.clientId}`, '    clientSecretFile: oidc.secret', '    allowInsecureLoopback: true'].join('\n');
  const web = [`  url: ${base}`, '  sso:', `    roles: ${SSO_ROLES}`, '  # rpId: bastion.example.com'].join('\n');
  await bastion.init({ '  secondFactor: totp': oidc, '  # rpId: bastion.example.com': web, ...edits });
  writeFileSync(join(bastion.data, 'oidc.secret'), `${idp.clientSecret}\n`, { mode: 0o600 });
  await setup(bastion);
  bastion.webListen = `127.0.0.1:${port}`;
  await bastion.start();
  return { bastion, idp, base, ca: readFileSync(join(bastion.data, 'web.crt')) };
}

/** From the console's login page through the provider's login and consent pages; it ends where the console sends it. */
export async function ssoSignIn(page: Page, base: string, login: string, shot?: (name: string) => Promise<void>): Promise<void> {
  await page.goto(`${base}/login`);
  await shot?.('sso-1-login');
  await page.click('#sso');
  await page.waitForSelector('input[name=password]');
  await page.fill('input[name=login]', login);
  await page.fill('input[name=password]', 'any');
  await shot?.('sso-2-idp-login');
  await page.click('button[type=submit]');
  await page.waitForSelector('button[type=submit]'); // the consent page
  await shot?.('sso-3-idp-consent');
  await page.click('button[type=submit]');
  await page.waitForURL((u) => u.origin === base);
}
