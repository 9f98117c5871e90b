/**
 * man/tenantadm.1 is generated from the command table, the exit-code table (errors.ts) and
 * the environment table (environment.ts), so the man page says exactly what the parser accepts.
 * `npm run man` rewrites it; a unit test fails when the committed page is stale.
 */
import { commands } from './command-table';
import { globalOptions } from '../config';
import { ENVIRONMENT, TEST_HOOKS } from '../environment';
import { EXIT_CODE_TABLE } from '../errors';
import { constraintMessage, helpEntries, usageLine } from '../options';

function esc(s: string): string {
  return s.replace(/\\/g, '\\e').replace(/-/g, '\\-').replace(/^\./gm, '\\&.').replace(/^'/gm, "\\&'");
}

function item(term: string, text: string): string {
  return `.TP\n.B ${esc(term)}\n${esc(text)}`;
}

export function manPage(version: string): string {
  const out: string[] = [];
  out.push(`.TH TENANTADM 1 "" "tenantadm ${version}" "User Commands"`);
  // No hyphenation: a variable or flag cut as TENAN-TADM_TIMEOUT_MS cannot be copied.
  out.push('.nh');
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
  for (const o of helpEntries(globalOptions)) out.push(item(o.flags, o.help));
  out.push('.SH COMMANDS');
  for (const c of commands) {
    const names = [c.name, ...c.aliases].join(', ');
    out.push(`.SS ${esc(names)}\n.B tenantadm ${esc(c.name)}\n${esc(usageLine(c.options, c.constraints, c.argument))}\n.PP\n${esc(c.description ?? c.summary)}`);
    if (c.argument) out.push(item(`<${c.argument.name}>`, `${c.argument.help}: ${c.argument.values.join(', ')}`));
    for (const o of helpEntries(c.options)) out.push(item(o.flags, o.help));
    if (c.constraints.length) {
      out.push('.PP\nRules:\n.RS');
      for (const rule of c.constraints) out.push(`.br\n${esc(constraintMessage(rule))}`);
      out.push('.RE');
    }
    if (c.examples.length) {
      out.push('.PP\nExamples:\n.RS\n.nf');
      for (const e of c.examples) out.push(esc(`$ ${e}`));
      out.push('.fi\n.RE');
    }
  }
  out.push('.SH EXIT STATUS');
  for (const e of EXIT_CODE_TABLE) out.push(item(String(e.code), e.meaning));
  out.push('.SH ENVIRONMENT');
  for (const v of Object.values(ENVIRONMENT)) out.push(item(v.name, v.meaning));
  out.push(`.SS Test hooks\n${esc('For the test suite only; never set them in production: they kill the process on purpose, pause it, or shorten lock leases.')}`);
  for (const v of Object.values(TEST_HOOKS)) out.push(item(v.name, v.meaning));
  out.push(
    '.SH SCRIPTING\n' +
      esc(
        'Standard output carries only the data, so `tenantadm list-tenants | jq .` works unfiltered. ' +
          'Errors are one line on standard error; with --error-format json it is {"error":{"code":"...","message":"..."}}. ' +
          'Warnings are lines that start with "tenantadm: warning:". ' +
          'A failed command leaves the databases as they were. Closing the pipe early (| head -1) is not an error. ' +
          'Passwords are read from --password-file, --password-stdin or a hidden prompt, never from the command line.',
      ),
  );
  out.push('.SH SHELL COMPLETION\n' + esc('tenantadm completion bash|zsh|fish prints a completion script; see the completion command above.'));
  out.push('.SH SEE ALSO\nREADME.md and docs/ in the source distribution and the package.');
  return `${out.join('\n')}\n`;
}
