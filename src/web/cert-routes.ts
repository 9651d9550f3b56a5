// /certificate: a user signed in through the IdP gets an SSH certificate in the console, from a public key they paste
// or one of their registered keys, through the same issuer as `ssh USER@bastion cert` (its limits, its events, with
// via: console). The IdP sign-in stands for the second factor; a password console account has no SSH user to sign for.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { CertificateIssuer } from '../auth/cert-issue.js';
import { FumidaiError } from '../errors.js';
import { parsePublicKey } from '../identity/public-key.js';
import type { Directory } from '../store/store.js';
import { html, page } from './html.js';
import { actingUser } from './request-actions.js';

export interface CertRouteDeps {
  issuer: Pick<CertificateIssuer, 'issue'>;
  store: Pick<Directory, 'getUser' | 'keysOf'>;
}

type Form = Record<string, string | undefined>;

export function certRoutes(app: FastifyInstance, deps: CertRouteDeps): void {
  const show = async (req: FastifyRequest, reply: FastifyReply, out: { cert?: string; error?: string; status?: number } = {}) => {
    const s = req.consoleSession!;
    const who = { name: s.name, role: s.role, via: s.via, csrf: reply.generateCsrf() };
    const acting = await actingUser(deps.store, s);
    const keys = acting.ok ? await deps.store.keysOf(acting.name) : [];
    const form = acting.ok
      ? html`<form class="login wide" method="post" action="/certificate"><input type="hidden" name="_csrf" value="${who.csrf}">
<label for="key">Public key (the .pub line)</label><textarea id="key" name="key" rows="3" cols="80"></textarea>
${keys.length ? html`<label for="registered">or one of your registered keys</label><select id="registered" name="registered"><option value="">(the key above)</option>${keys.map((k) => html`<option value="${k.fingerprint}">${k.type} ${k.fingerprint} ${k.comment}</option>`)}</select>` : ''}
<label for="for">Valid for (at most certs.maxValidity)</label><input id="for" name="for" placeholder="8h"><button id="issue">Get a certificate</button></form>`
      : html`<p class="error">${acting.error}</p>`;
    const result = out.cert
      ? html`<p class="notice">Save this line as the key's -cert.pub file (e.g. ~/.ssh/id_ed25519-cert.pub); ssh uses it with the key.</p><pre id="cert" class="cert">${out.cert}</pre>`
      : out.error
        ? html`<p class="error">${out.error}</p>`
        : '';
    return reply.code(out.status ?? 200).type('text/html; charset=utf-8').send(page('Certificate', html`<h1>SSH certificate</h1>${result}${form}`, who));
  };

  app.get('/certificate', async (req, reply) => show(req, reply));
  app.post('/certificate', { preHandler: app.csrfProtection }, async (req, reply) => {
    const s = req.consoleSession!;
    const acting = await actingUser(deps.store, s);
    if (!acting.ok) return show(req, reply, { error: acting.error, status: acting.status });
    const f = (req.body ?? {}) as Form;
    let publicKey: Buffer;
    let fingerprint: string;
    try {
      const picked = f.registered ? (await deps.store.keysOf(acting.name)).find((k) => k.fingerprint === f.registered) : undefined;
      if (f.registered && !picked) return show(req, reply, { error: 'no such registered key', status: 400 });
      const key = picked ? { blob: picked.blob, fingerprint: picked.fingerprint, type: picked.type } : parsePublicKey((f.key ?? '').slice(0, 16 * 1024), 'the pasted key');
      if (key.type.includes('-cert-')) return show(req, reply, { error: 'give the public key, not a certificate', status: 400 });
      publicKey = key.blob;
      fingerprint = key.fingerprint;
    } catch (err) {
      if (err instanceof FumidaiError) return show(req, reply, { error: err.message, status: 400 });
      throw err;
    }
    const forText = (f.for ?? '').trim();
    // The IdP sign-in is this user's second factor; the caller is as `ssh USER@bastion cert` would see it.
    const caller = { user: acting.name, sourceIp: req.ip, sourcePort: 0, keyFingerprint: fingerprint, mfa: true, publicKey };
    try {
      return show(req, reply, { cert: await deps.issuer.issue(caller, forText ? ['--for', forText] : [], new Date(), 'console') });
    } catch (err) {
      if (err instanceof FumidaiError) return show(req, reply, { error: err.message, status: err.code === 'AUDIT_UNAVAILABLE' ? 503 : 403 });
      throw err;
    }
  });
}
