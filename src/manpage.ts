/**
 * man/tenantadm.1 is generated from the command table and the global options, so the
 * man page says exactly what the parser accepts. `npm run man` rewrites it; a unit test
 * fails when the committed page is stale.
 */
import { commands } from './command-table';
import { globalOptions } from './cli';
import { ENV, DEFAULTS } from './config';

function esc(s: string): string {
  return s.replace(/\\/g, '\\e').replace(/-/g, '\\-').replace(/^\./gm, '\\&.').replace(/^'/gm, "\\&'");
}

function option(flags: string, description: string): string {
  return `.TP\n.B ${esc(flags)}\n${esc(description)}\n`;
}

const environment: [string, string][] = [
  [ENV.mongo, `MongoDB URL (default ${DEFAULTS.mongo}). Credentials in it are never printed.`],
  [ENV.timeout, `connect and server\\-selection timeout in milliseconds (default ${DEFAULTS.timeoutMs}).`],
  [ENV.tenantadmDb, `tenant database (default ${DEFAULTS.tenantadmDb}); also holds tenantadm_journal and tenantadm_locks.`],
  [ENV.useradmDb, `user database (default ${DEFAULTS.useradmDb}).`],
  [ENV.deviceauthDb, `device\\-auth database with devices and limits (default ${DEFAULTS.deviceauthDb}).`],
  [ENV.auditDb, `audit database (default ${DEFAULTS.auditDb}).`],
  [ENV.auditCollection, `audit collection (default ${DEFAULTS.auditCollection}).`],
  [ENV.keyFile, 'RSA private key (PEM) that signs tenant tokens; /etc/tenantadm/rsa/private.pem is used when it exists and nothing is set.'],
  [ENV.mongoUsername, 'MongoDB user, as Mender\'s services take it (instead of putting it in the URL).'],
  [ENV.mongoPassword, 'MongoDB password for that user; never printed.'],
  [ENV.redisUrl, "Redis URL of the device\\-auth service's cache (device\\-auth's own variable); limit writes invalidate the cached limit the way Mender does."],
  [ENV.redisUrlOld, `older name for ${ENV.redisUrl}, still read.`],
  [ENV.redisKeyPrefix, `device\\-auth's cache key prefix (default ${DEFAULTS.redisKeyPrefix}).`],
  [ENV.menderSchema, 'legacy or v2: the limit semantics of the Mender version; detected from deviceauth.migration_info when unset.'],
  [ENV.deviceauthAddr, 'device\\-auth service address; when set, limits and device token revocation go through its internal API.'],
  [ENV.useradmAddr, 'user service address; when set, users are created and user tokens revoked through its internal API (Enterprise registers them for login).'],
  [ENV.deploymentsAddr, 'deployments service address; when set, storage settings go through its internal API, which checks the bucket.'],
  [ENV.actor, 'who is acting, recorded in the audit log (default user@host).'],
  [ENV.errorFormat, 'text or json.'],
  [ENV.noInput, '1 (or true): never prompt, as with \\-\\-no\\-input.'],
  ['NO_COLOR, FORCE_COLOR', 'turn colour off or on (colour is used only on a terminal).'],
];

export function manPage(version: string): string {
  const out: string[] = [];
  out.push(`.TH TENANTADM 1 "" "tenantadm ${version}" "User Commands"`);
  out.push('.SH NAME\ntenantadm \\- administer the tenants of a multi\\-tenant Mender server in its MongoDB');
  out.push('.SH SYNOPSIS\n.B tenantadm\n[\\fIglobal options\\fR] \\fIcommand\\fR [\\fIoptions\\fR]');
  out.push(
    '.SH DESCRIPTION\n' +
      esc(
        'tenantadm talks to the databases of the Mender tenant, user, device-auth and audit services directly. ' +
          'It writes only data to standard output (JSON by default, NDJSON, a table or CSV) and every message to standard error. ' +
          'Every change is journaled and applied all-or-nothing without transactions, and recorded in the audit log.',
      ),
  );
  out.push('.SH GLOBAL OPTIONS');
  for (const o of globalOptions) out.push(option(o.flags, o.description).trimEnd());
  out.push('.SH COMMANDS');
  for (const c of commands) {
    const names = [c.name, ...(c.aliases ?? [])].join(', ');
    out.push(`.SS ${esc(names)}\n${esc(c.description ?? c.summary)}`);
    for (const o of c.options.filter((x) => !x.hidden)) out.push(option(o.flags, o.description).trimEnd());
    if (c.examples.length) {
      out.push('.PP\nExamples:\n.RS\n.nf');
      for (const e of c.examples) out.push(esc(`$ ${e}`));
      out.push('.fi\n.RE');
    }
  }
  out.push('.SH EXIT STATUS');
  for (const [code, text] of [
    ['0', 'success'],
    ['1', 'internal error (a bug or an unexpected server reply)'],
    ['2', 'invalid usage or input (including a missing signing key or password source)'],
    ['3', 'not found'],
    ['4', 'conflict: already exists, or a concurrent change'],
    ['5', 'a rule would be broken (limits, Service Provider rules, missing migrate)'],
    ['6', 'database or Mender service unreachable or timed out'],
    ['7', 'a Mender service refused the change (its status and message are printed)'],
  ]) {
    out.push(option(code!, text!).trimEnd());
  }
  out.push('.SH ENVIRONMENT');
  for (const [name, text] of environment) out.push(`.TP\n.B ${esc(name)}\n${text}`);
  out.push(
    '.SH SCRIPTING\n' +
      esc(
        'Standard output carries only the data, so `tenantadm list-tenants | jq .` works unfiltered. ' +
          'Errors are one line on standard error; with --error-format json it is {"error":{"code":"...","message":"..."}}. ' +
          'A failed command leaves the databases as they were. Closing the pipe early (| head -1) is not an error. ' +
          'Passwords are read from --password-file, --password-stdin or a hidden prompt, never from the command line.',
      ),
  );
  out.push('.SH SEE ALSO\nREADME.md in the source distribution.');
  return `${out.join('\n')}\n`;
}
