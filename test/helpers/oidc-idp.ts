// A certified OpenID provider (oidc-provider) on 127.0.0.1 over plain HTTP, with the device flow on and its dev
// login pages, and a small "browser" (fetch with a cookie jar) that approves or denies a user code the way a person
// would: the code page, its confirmation, the login form, the consent form.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import Provider from 'oidc-provider';

export interface IdpAccount {
  groups: string[];
  /** A disabled account is not found any more: its tokens stop working at userinfo. */
  disabled?: boolean;
  /** The user claim's value, when it is not the account id. */
  username?: string;
}

export interface Idp {
  issuer: string;
  clientId: string;
  clientSecret: string;
  accounts: Record<string, IdpAccount>;
  /** Seconds a device code lasts (read at each new code). */
  deviceCodeTtl: number;
  approve(userCode: string, login: string): Promise<string>;
  deny(userCode: string): Promise<string>;
  stop(): Promise<void>;
}

/** `redirectUris`: the client may also log in browsers (authorization code with PKCE), back to these URIs. */
export async function startIdp(accounts: Record<string, IdpAccount>, opts: { redirectUris?: string[] } = {}): Promise<Idp> {
  const server: Server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const idp = { issuer, clientId: 'fumidai', clientSecret: 'test-secret-not-for-logs', accounts, deviceCodeTtl: 600 } as Idp;
  const provider = new Provider(issuer, {
    clients: [
      {
        client_id: idp.clientId,
        client_secret: idp.clientSecret,
        grant_types: ['urn:ietf:params:oauth:grant-type:device_code', ...(opts.redirectUris ? ['authorization_code'] : [])],
        response_types: opts.redirectUris ? ['code'] : [],
        redirect_uris: opts.redirectUris ?? [],
        token_endpoint_auth_method: 'client_secret_post',
      },
    ],
    features: { deviceFlow: { enabled: true }, devInteractions: { enabled: true } },
    claims: { openid: ['sub'], profile: ['preferred_username'], groups: ['groups'] },
    findAccount: async (_ctx: unknown, id: string) => {
      const a = accounts[id];
      if (!a || a.disabled) return undefined;
      return { accountId: id, claims: async () => ({ sub: id, preferred_username: a.username ?? id, groups: a.groups }) };
    },
    ttl: { DeviceCode: () => idp.deviceCodeTtl },
  });
  server.on('request', provider.callback());
  const browser = () => new Browser(issuer);
  idp.approve = (code, login) => browser().device(code, { login });
  idp.deny = (code) => browser().device(code, { abort: true });
  idp.stop = () => new Promise<void>((r) => (server.closeAllConnections(), server.close(() => r())));
  return idp;
}

const field = (html: string, name: string) => new RegExp(`name="${name}" value="([^"]*)"`).exec(html)?.[1];

class Browser {
  #cookies = new Map<string, string>();
  #base: string;
  constructor(base: string) {
    this.#base = base;
  }

  /** One request, redirects followed by hand (cookies set along the way are kept); the final page's text. */
  async #go(path: string, form?: Record<string, string>): Promise<string> {
    let url = new URL(path, this.#base).href;
    let body: URLSearchParams | undefined = form ? new URLSearchParams(form) : undefined;
    for (let hops = 0; hops < 20; hops++) {
      const res = await fetch(url, {
        method: body ? 'POST' : 'GET',
        redirect: 'manual',
        headers: { cookie: [...this.#cookies].map(([k, v]) => `${k}=${v}`).join('; '), ...(body ? { 'content-type': 'application/x-www-form-urlencoded' } : {}) },
        ...(body ? { body } : {}),
      });
      for (const c of res.headers.getSetCookie()) {
        const [pair] = c.split(';');
        const eq = pair!.indexOf('=');
        this.#cookies.set(pair!.slice(0, eq), pair!.slice(eq + 1));
      }
      const location = res.headers.get('location');
      if (res.status >= 300 && res.status < 400 && location) {
        url = new URL(location, url).href;
        body = undefined;
        continue;
      }
      return res.text();
    }
    throw new Error('too many redirects');
  }

  /** The device pages: the code, its confirmation (or the abort), then the login and consent forms until the end. */
  async device(userCode: string, how: { login?: string; abort?: boolean }): Promise<string> {
    let page = await this.#go('/device');
    page = await this.#go('/device', { xsrf: field(page, 'xsrf')!, user_code: userCode });
    const xsrf = field(page, 'xsrf');
    if (!xsrf) return page; // a refused code: the page says why
    if (how.abort) return this.#go('/device', { xsrf, user_code: userCode, abort: 'yes' });
    page = await this.#go('/device', { xsrf, user_code: userCode, confirm: 'yes' });
    for (let step = 0; step < 5; step++) {
      const action = /<form[^>]*action="([^"]+)"/.exec(page)?.[1];
      const prompt = field(page, 'prompt');
      if (!action || !prompt) return page;
      page = await this.#go(action, prompt === 'login' ? { prompt, login: how.login!, password: 'any' } : { prompt });
    }
    return page;
  }
}
