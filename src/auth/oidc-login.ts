// The single sign-on step of an SSH login, for a stock client: keyboard-interactive shows the IdP's verification URL
// and user code (a prompt with no question, so the client prints it and waits for the answer), and the answer comes
// once the device authorization (RFC 8628) is approved, denied or expired at the IdP.
import type { KeyboardAuthContext } from 'ssh2';
import type { DeviceOutcome, DeviceStart, OidcIdp } from '../identity/oidc.js';

export type SsoOutcome = DeviceOutcome | { ok: false; left: true; why: string };

/** What the user reads: where to go, the code to type there (or the link that carries it), and how long it lasts. */
export function deviceText(start: DeviceStart): string {
  const minutes = Math.max(1, Math.round(start.expiresInSec / 60));
  return [
    'Single sign-on: approve this login in a browser.',
    `  Open ${start.verificationUri} and enter the code ${start.userCode}`,
    ...(start.verificationUriComplete ? [`  (or open ${start.verificationUriComplete})`] : []),
    `  The code is valid for ${minutes} min; this login goes on once it is approved.`,
  ].join('\r\n');
}

export async function deviceApproval(ctx: KeyboardAuthContext, idp: OidcIdp, user: string, signal: AbortSignal): Promise<SsoOutcome> {
  let start: DeviceStart;
  try {
    start = await idp.start();
  } catch (err) {
    const e = err as { error?: string; code?: string; message?: string };
    return { ok: false, why: `the IdP could not start a device login (${e.error ?? e.code ?? e.message})` };
  }
  const shown = await new Promise<unknown>((resolve) => ctx.prompt([], 'fumidai', deviceText(start), resolve));
  if (shown instanceof Error) return { ok: false, left: true, why: 'the client left' };
  return idp.finish(start, user, signal);
}
