import type { Command } from 'commander';
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { fail } from '../errors.js';
import { Access } from '../policy/access.js';
import { decideExec } from '../policy/command-rules.js';
import { parsePolicy } from '../policy/document.js';
import { policyWarnings } from '../policy/lint.js';
import { lineOf } from '../config/yaml-validate.js';
import type { Directory } from '../store/store.js';
import { PolicySource } from '../policy/source.js';
import { ACTIONS, type Action } from '../policy/types.js';
import { adminChange, withStore } from './common.js';

/** The warnings of a policy text against the users and targets that exist: "line N, field F: what". */
async function lint(text: string, store: Pick<Directory, 'listUsers' | 'listTargets'>): Promise<string[]> {
  const parsed = parsePolicy(text);
  if (!parsed.ok) return [];
  const known = { users: (await store.listUsers()).map((u) => u.name), targets: (await store.listTargets()).map((t) => t.name) };
  return policyWarnings(parsed.policy, known).map((w) => `${lineOf(text, w.path)}, field ${w.path.join('.')}: ${w.message}`);
}

export function registerPolicy(program: Command): void {
  const policy = program.command('policy').description('access policy: check a decision, show the applied document');
  policy
    .command('check <user> <target>')
    .description('print the decision for a user reaching a target, and its reason; with --command, the command rules too (exit 0 allow, 2 deny)')
    .option('--login <login>', "login on the target (default: the target's)")
    .option('--from <ip>', 'source address', '127.0.0.1')
    .option('--at <iso>', 'time of the attempt (default: now)')
    .option('--action <action>', `one of ${ACTIONS.join(', ')}`, 'shell')
    .option('--command <command>', 'an exec command: also print what the command rules decide about it (implies --action exec)')
    .option('--no-mfa', 'as if the login gave no second factor')
    .option('--certificate <ca>', "as if the login used a certificate of fumidai's CA (own) or another trusted CA (trusted) and, with --no-mfa, skipped the code for it")
    .option('--data <dir>', 'data directory')
    .action(async (userName: string, targetName: string, opts: { login?: string; from: string; at?: string; action: string; command?: string; mfa: boolean; certificate?: string; data?: string }) => {
      if (opts.certificate !== undefined && opts.certificate !== 'own' && opts.certificate !== 'trusted') throw fail('ARGUMENT_INVALID', `--certificate must be own or trusted, not '${opts.certificate}'`);
      const cert = opts.certificate ? { certificate: opts.certificate as 'own' | 'trusted', codeSkipped: !opts.mfa } : {};
      if (opts.command !== undefined) opts.action = 'exec';
      if (!ACTIONS.includes(opts.action as Action)) throw fail('ARGUMENT_INVALID', `--action must be one of ${ACTIONS.join(', ')}, not '${opts.action}'`);
      if (!isIP(opts.from)) throw fail('ARGUMENT_INVALID', `--from must be an IP address, not '${opts.from}'`);
      const at = opts.at === undefined ? new Date() : new Date(opts.at);
      if (Number.isNaN(at.getTime())) throw fail('ARGUMENT_INVALID', `--at must be an ISO 8601 time, not '${opts.at}'`);
      const { decision, exec, warnings } = await withStore(opts, async (store) => {
        const user = await store.getUser(userName);
        if (!user) throw fail('USER_UNKNOWN', userName);
        const target = await store.getTarget(targetName);
        if (!target) throw fail('TARGET_UNKNOWN', targetName);
        const access = new Access(store, new PolicySource(store));
        const who = { user: user.name, sourceIp: opts.from, target: target.name, login: opts.login ?? target.defaultLogin };
        const decision = await access.decide({ ...who, action: opts.action as Action, at, mfa: opts.mfa, ...cert });
        const rules = opts.command === undefined ? undefined : await access.rules({ ...who, mfa: opts.mfa });
        const exec = rules && decideExec(rules.policy, rules.context, opts.command!);
        const applied = (await store.getPolicyDocument())?.document ?? '';
        return { decision, exec, warnings: await lint(applied, store) };
      });
      console.log(`${decision.allow ? 'ALLOW' : 'DENY'}: ${decision.reason}`);
      if (exec) {
        console.log(exec.run ? 'COMMAND ALLOW' + (exec.matched.length ? '' : ': no command rule matched') : `COMMAND DENY: ${exec.refusal.reason} (rule '${exec.refusal.rule}')`);
        for (const m of exec.matched) console.log(`  rule '${m.rule}' (${m.action}): ${m.reason}`);
      }
      if (decision.allow && (decision.limits.idleTimeoutSec || decision.limits.maxSessionSec)) {
        const { idleTimeoutSec: idle, maxSessionSec: max } = decision.limits;
        console.log(`limits: idle timeout ${idle ? `${idle}s` : 'none'}, max session length ${max ? `${max}s` : 'none'}`);
      }
      for (const w of warnings) console.error(`warning: applied policy, ${w}`);
      if (!decision.allow || (exec && !exec.run)) process.exitCode = 2;
    });
  policy
    .command('show')
    .description('print the applied policy document')
    .option('--data <dir>', 'data directory')
    .action(async (opts: { data?: string }) => {
      const stored = await withStore(opts, (store) => store.getPolicyDocument());
      console.log(stored?.document ? `# applied ${stored.updatedAt}\n${stored.document}` : '# no policy applied: grants only (deny by default)');
    });
  program
    .command('apply')
    .description('validate a policy file and make it the applied policy (live sessions it now denies end at once)')
    .requiredOption('-f, --file <file>', 'policy file (YAML)')
    .option('--data <dir>', 'data directory')
    .action(async (opts: { file: string; data?: string }) => {
      let text: string;
      try {
        text = readFileSync(opts.file, 'utf8');
      } catch (err) {
        throw fail('POLICY_INVALID', opts.file, 'file', `cannot read: ${(err as NodeJS.ErrnoException).code ?? err}`);
      }
      const parsed = parsePolicy(text);
      if (!parsed.ok) throw fail('POLICY_INVALID', opts.file, parsed.problem.where, parsed.problem.message);
      const warnings = await withStore(opts, async (store, dir) => {
        await adminChange(dir, `apply policy ${opts.file}`, { rules: parsed.policy.rules.map((r) => r.name) }, () => store.setPolicyDocument(text));
        return lint(text, store);
      });
      console.log(`applied ${opts.file}: ${parsed.policy.rules.length} rule(s), ${Object.keys(parsed.policy.groups).length} group(s)`);
      for (const w of warnings) console.error(`warning: ${opts.file}: ${w}`);
    });
  policy
    .command('remove')
    .description('remove the applied policy: access is by grants only again (deny by default); live sessions it allowed are re-decided')
    .option('--data <dir>', 'data directory')
    .action(async (opts: { data?: string }) => {
      await withStore(opts, async (store, dir) => {
        await adminChange(dir, 'remove policy', { rules: [] }, () => store.setPolicyDocument(''));
      });
      console.log('removed the policy: grants only (deny by default)');
    });
}
