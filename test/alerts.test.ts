// Alerts through real sinks: a burst of failed logins (real ssh with a key fumidai does not know) becomes one alert
// per sink (a signed JSON webhook, a Slack-style webhook, a syslog listener, an SMTP server) carrying the count, and
// each delivery is an AlertDelivered event; `fumidai alerts test` fires one through every sink; `alerts list` shows it.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Bastion, ssh } from './helpers/fumidai.js';
import { keygen, LOGIN, type Target } from './helpers/sshd.js';
import { alertsYaml, HttpReceiver, signatureOk, SmtpReceiver, SyslogListener } from './helpers/alert-receivers.js';
import { SD_ID } from '../src/shipping/syslog-message.js';
import { selfSigned } from './helpers/rsyslog.js';

const SECRET = 'hmac-test-secret-0123456789';

describe('alerts', () => {
  const b = new Bastion();
  const http = new HttpReceiver(SECRET);
  const syslog = new SyslogListener();
  let syslogTls: SyslogListener;
  const smtp = new SmtpReceiver();
  let web1: Target;
  let key = '';

  before(async () => {
    const cert = await selfSigned(b.dir, 'siem');
    syslogTls = new SyslogListener(cert);
    await Promise.all([http.start(), syslog.start(), smtp.start(), syslogTls.start()]);
    await b.init();
    appendFileSync(join(b.data, 'fumidai.yaml'), alertsYaml({ http: http.port, syslog: syslog.port, syslogTls: { port: syslogTls.port, ca: cert.cert }, smtp: smtp.port, extra: '  consoleUrl: https://bastion.example:8443/' }));
    writeFileSync(join(b.data, 'alert-hook.secret'), `${SECRET}\n`, { mode: 0o600 });
    writeFileSync(join(b.data, 'alert-slack.url'), `http://127.0.0.1:${http.port}/slack/T000/B000/XXXX\n`, { mode: 0o600 });
    web1 = await b.addTarget('web1');
    key = await b.addUser('alice');
    await b.cli(['grant', 'alice', 'web1']);
    await b.start();
  });
  after(async () => {
    await b.stop();
    await web1?.stop();
    await Promise.all([http.stop(), syslog.stop(), smtp.stop(), syslogTls?.stop()]);
  });

  test('an authentication-failure burst: one alert per sink, signed, with the count, and AlertDelivered events', async () => {
    const stranger = await keygen(join(b.dir, 'stranger_key'));
    const cfg = b.sshConfig('alice', stranger.priv, { web1: LOGIN });
    for (let i = 0; i < 7; i++) assert.notEqual((await ssh(cfg, ['bastion', 'true'])).code, 0);
    const hook = (await http.until((g) => g.some((r) => r.path === '/hook' && r.body.includes('auth-failures-address')))).filter((r) => r.path === '/hook' && r.body.includes('auth-failures-address'));
    const first = JSON.parse(hook[0]!.body) as { rule: string; count: number; event: { sourceIp: string; name: string }; id: number };
    assert.equal(hook[0]!.signed, true, 'the HMAC signature checks out with the shared secret');
    assert.equal(first.event.sourceIp, '127.0.0.1');
    assert.equal(first.event.name, 'AuthFailure');
    assert.equal(hook[0]!.headers['x-fumidai-alert'], String(first.id));
    // Seven tries from one address: one alert at the fifth, the rest folded (the rate limit) into a later one.
    assert.ok(hook.length <= 2, `a burst is not an alert per failure: ${hook.length}`);
    await http.until((g) => g.some((r) => r.path.startsWith('/slack/') && /auth-failures-address/.test(r.body)));
    const slack = http.got.find((r) => r.path.startsWith('/slack/'))!;
    assert.match((JSON.parse(slack.body) as { text: string }).text, /\[fumidai warning\] auth-failures-address: \d+ AuthFailure/);
    for (let i = 0; i < 100 && !(syslog.got.length && smtp.mails.length); i++) await new Promise((r) => setTimeout(r, 100));
    const s = syslog.got.find((m) => m.sd.get(SD_ID)?.rule === 'auth-failures-address')!;
    assert.ok(s, 'the syslog listener got it');
    assert.deepEqual([s.appName, s.msgId, s.severity, s.facility], ['fumidai', 'alert', 4, 13]);
    const mail = smtp.mails.find((m) => /auth-failures-address/.test(m.data))!;
    assert.ok(mail, 'the SMTP server got it');
    assert.deepEqual(mail.to, ['soc@example.com']);
    assert.match(mail.data, /Subject: \[fumidai warning\] auth-failures-address/);
    for (let i = 0; i < 100 && !syslogTls.got.length; i++) await new Promise((r) => setTimeout(r, 100));
    assert.equal(syslogTls.got[0]?.sd.get(SD_ID)?.rule, 'auth-failures-address', 'the TLS syslog listener got it (its CA from tls.ca)');
    const delivered = await b.waitForEvents('AlertDelivered', 5, (e) => e.rule === 'auth-failures-address');
    assert.deepEqual(delivered.slice(0, 5).map((e) => e.sink).sort(), ['hook', 'mail', 'siem', 'siem-tls', 'slack']);
  });

  test('a session alert carries the audit key and the console link; a wrong secret fails the receiver check', async () => {
    const cfg = b.sshConfig('alice', key, { web1: LOGIN });
    assert.equal((await ssh(cfg, ['web1', 'sudo -n true; true'])).code, 0);
    const got = await http.until((g) => g.some((r) => r.path === '/hook' && r.body.includes('"rule":"sudo"')));
    const m = JSON.parse(got.find((r) => r.path === '/hook' && r.body.includes('"rule":"sudo"'))!.body) as { auditKey: string; link: string };
    assert.match(m.auditKey, /\S/);
    assert.equal(m.link, `https://bastion.example:8443/sessions/${encodeURIComponent(m.auditKey)}`);
    const hooks = got.filter((r) => r.path === '/hook');
    assert.ok(hooks.every((r) => r.signed), 'every webhook body is signed');
    const sig = hooks[0]!.headers['x-fumidai-signature'] as string;
    assert.equal(signatureOk('another secret', hooks[0]!.body, sig), false, 'another secret does not check');
    assert.equal(signatureOk(SECRET, hooks[0]!.body.replace('"rule"', '"rule" '), sig), false, 'a changed body does not check');
  });

  test('fumidai alerts test RULE goes through every sink; alerts list shows the rules and the deliveries', async () => {
    const before = http.got.length;
    const r = await b.cli(['alerts', 'test', 'port-forward']);
    assert.match(r.stdout, /to hook: delivered/);
    assert.match(r.stdout, /to mail: delivered/);
    assert.match(r.stdout, /to siem: delivered/);
    assert.match(r.stdout, /to slack: delivered/);
    assert.match(r.stdout, /to siem-tls: delivered/);
    assert.ok(http.got.slice(before).some((g) => g.path === '/hook' && g.body.includes('a test of rule port-forward')));
    const list = (await b.cli(['alerts', 'list'])).stdout;
    assert.match(list, /^auth-failures-address\s+count\s+yes\s+warning\s+hook,slack,siem,siem-tls,mail$/m);
    assert.match(list, /^outside-hours\s+outside-hours\s+no/m);
    assert.match(list, /port-forward\s+1\s+hook:delivered mail:delivered siem:delivered siem-tls:delivered slack:delivered/);
    assert.equal((await b.cli(['alerts', 'test', 'no-such-rule'], true)).code !== 0, true);
  });
});
