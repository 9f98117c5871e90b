/**
 * Shell completion scripts (bash, zsh, fish), generated from the command table handed in: commands,
 * aliases, option names (global and per command), the values of options that take a fixed
 * set of words, and file names where an option takes a file.
 */
import type { CommandSpec } from '../../command';
import { globalOptions } from '../../config';
import { flagOf, negatedFlagOf, type OptionDecls } from '../../options';

export const SHELLS = ['bash', 'zsh', 'fish'] as const;
export type Shell = (typeof SHELLS)[number];

/** One completable option: its spellings, whether it takes a value, and which values. */
interface Completable {
  long: string;
  short?: string;
  help: string;
  takesValue: boolean;
  values?: readonly string[];
  file?: boolean;
  repeatable?: boolean;
  /** Values read from the database when completing (`tenantadm __complete WHAT`). */
  fromDatabase?: 'tenant-ids' | 'tenant-names';
}

/** Options naming a tenant by id: the naming table keeps these names for a tenant everywhere. */
const TENANT_ID_KEYS = new Set(['tenant', 'parent', 'tree']);
/** Commands whose --name finds an existing tenant (elsewhere it names a new one). */
const TENANT_NAME_COMMANDS = new Set(['get-tenant', 'list-tenants']);

/** How a script asks the database for completions: a short timeout, never a prompt, never a message. */
const FROM_DATABASE = (what: string) => `tenantadm __complete ${what} --timeout 1000 --no-input -q 2>/dev/null`;

function completables(decls: OptionDecls, command?: string): Completable[] {
  const out: Completable[] = [];
  for (const [key, d] of Object.entries(decls)) {
    if (d.hidden) continue;
    const fromDatabase =
      d.type === 'string' && TENANT_ID_KEYS.has(key) ? 'tenant-ids' : d.type === 'string' && key === 'name' && command && TENANT_NAME_COMMANDS.has(command) ? 'tenant-names' : undefined;
    const values = d.type === 'enum' ? d.values : d.type === 'string' || d.type === 'list' ? d.complete : d.type === 'int' && d.unlimited ? ['unlimited'] : undefined;
    out.push({
      long: flagOf(key),
      ...(d.short ? { short: `-${d.short}` } : {}),
      help: d.help,
      takesValue: d.type !== 'boolean',
      ...(values ? { values } : {}),
      ...(d.type === 'string' && d.file ? { file: true } : {}),
      ...(d.type === 'list' ? { repeatable: true } : {}),
      ...(fromDatabase ? { fromDatabase } : {}),
    });
    if ((d.type === 'boolean' || d.type === 'string') && d.negate) out.push({ long: negatedFlagOf(key), help: d.negate, takesValue: false });
  }
  return out;
}

interface Entry {
  names: string[];
  summary: string;
  options: Completable[];
  positional?: readonly string[];
}

function entries(commands: readonly CommandSpec[]): Entry[] {
  const list: Entry[] = [];
  // "maintenance delete-suspended-tenants": the group completes its subcommands, then the options of all of them.
  const groups = new Map<string, Entry>();
  for (const c of commands) {
    const [head, sub] = c.name.split(' ') as [string, string | undefined];
    if (sub === undefined) {
      list.push({ names: [c.name, ...c.aliases], summary: c.summary, options: completables(c.options, c.name), ...(c.argument ? { positional: c.argument.values } : {}) });
      continue;
    }
    // A subcommand of a command of its own ("audit forward") completes as one of its words.
    let group = groups.get(head) ?? list.find((e) => e.names[0] === head);
    if (group && !group.positional) group.positional = [];
    if (!group) {
      group = { names: [head], summary: `${head} jobs over many tenants`, options: [], positional: [] };
      groups.set(head, group);
      list.push(group);
    }
    (group.positional as string[]).push(sub);
    for (const o of completables(c.options)) if (!group.options.some((x) => x.long === o.long)) group.options.push(o);
  }
  list.push({ names: ['help'], summary: 'show the help of a command', options: [], positional: list.flatMap((e) => e.names) });
  return list;
}

const allCommands = (list: Entry[]) => list.flatMap((e) => e.names);

// ---------------------------------------------------------------------------------------

function bashValueCases(options: Completable[], indent: string): string[] {
  const lines: string[] = [];
  for (const o of options.filter((x) => x.takesValue)) {
    const pattern = [o.short, o.long].filter(Boolean).join('|');
    const action = o.values
      ? `COMPREPLY=($(compgen -W "${o.values.join(' ')}" -- "$cur")); return 0`
      : o.file
        ? // As file names: a directory gets its slash and no space after it.
          'compopt -o filenames 2>/dev/null; COMPREPLY=($(compgen -f -- "$cur")); return 0'
        : o.fromDatabase
          ? // One a line (names may hold spaces): those starting with what is typed, spaces escaped.
            "local IFS=$'\\n'; COMPREPLY=($(" +
            FROM_DATABASE(o.fromDatabase) +
            ' | awk -v p="$cur" \'index($0, p) == 1\')); COMPREPLY=("${COMPREPLY[@]// /\\\\ }"); return 0'
          : 'COMPREPLY=(); return 0';
    lines.push(`${indent}${pattern}) ${action} ;;`);
  }
  return lines;
}

function words(options: Completable[]): string {
  return options.flatMap((o) => [o.short, o.long].filter((x): x is string => x !== undefined)).join(' ');
}

function bash(list: Entry[]): string {
  const globals = completables(globalOptions);
  const lines = [
    '# bash completion for tenantadm; generated by `tenantadm completion bash`.',
    '# Load it with: source <(tenantadm completion bash)',
    '_tenantadm() {',
    '  local cur="${COMP_WORDS[COMP_CWORD]}" prev="${COMP_WORDS[COMP_CWORD-1]}"',
    `  local commands="${allCommands(list).join(' ')}"`,
    `  local globals="${words(globals)}"`,
    '  local cmd="" i',
    '  for ((i = 1; i < COMP_CWORD; i++)); do',
    '    if [[ " $commands " == *" ${COMP_WORDS[i]} "* ]]; then cmd="${COMP_WORDS[i]}"; break; fi',
    '  done',
    '  case "$prev" in',
    ...bashValueCases(globals, '    '),
    '  esac',
    '  case "$cmd" in',
  ];
  for (const e of list) {
    lines.push(`    ${e.names.join('|')})`);
    const cases = bashValueCases(e.options, '        ');
    if (cases.length) lines.push('      case "$prev" in', ...cases, '      esac');
    if (e.positional) {
      lines.push(`      if [[ "$cur" != -* ]]; then COMPREPLY=($(compgen -W "${e.positional.join(' ')}" -- "$cur")); return 0; fi`);
    }
    lines.push(`      COMPREPLY=($(compgen -W "${words(e.options)} $globals" -- "$cur")); return 0 ;;`);
  }
  lines.push(
    '  esac',
    '  if [[ "$cur" == -* ]]; then COMPREPLY=($(compgen -W "$globals -h --help -V --version" -- "$cur")); else COMPREPLY=($(compgen -W "$commands" -- "$cur")); fi',
    '  return 0',
    '}',
    'complete -F _tenantadm tenantadm',
    '',
  );
  return lines.join('\n');
}

// ---------------------------------------------------------------------------------------

/** Text inside a zsh single-quoted `_arguments` spec: no quotes, brackets or colons of its own. */
function zshText(s: string): string {
  return s.replace(/'/g, '’').replace(/\[/g, '(').replace(/\]/g, ')').replace(/:/g, ' -').replace(/\\/g, '/');
}

function zshSpec(o: Completable): string {
  const help = `[${zshText(o.help)}]`;
  const value = !o.takesValue
    ? ''
    : o.values
      ? `:value:(${o.values.join(' ')})`
      : o.file
        ? ':file:_files'
        : o.fromDatabase
          ? `:value:{compadd -- \${(f)"\$(${FROM_DATABASE(o.fromDatabase)})"}}`
          : ':value: ';
  const star = o.repeatable ? '*' : '';
  if (o.short) return `'(${o.short} ${o.long})'{${o.short},${o.long}}'${help}${value}'`;
  return `'${star}${o.long}${help}${value}'`;
}

function zsh(list: Entry[]): string {
  const globals = completables(globalOptions);
  const lines = [
    '#compdef tenantadm',
    '# zsh completion for tenantadm; generated by `tenantadm completion zsh`.',
    '# Install it as _tenantadm in a directory of $fpath, or: source <(tenantadm completion zsh)',
    '_tenantadm() {',
    '  local curcontext="$curcontext" state line',
    '  typeset -A opt_args',
    '  local -a globals commands',
    `  globals=(${globals.map(zshSpec).join(' ')})`,
    `  commands=(${list.flatMap((e) => e.names.map((n) => `'${n}:${zshText(e.summary)}'`)).join(' ')})`,
    "  _arguments -C $globals '(- *)'{-h,--help}'[show help]' '(- *)'{-V,--version}'[show the version]' '1: :->command' '*:: :->args'",
    '  case $state in',
    "    command) _describe -t commands 'tenantadm command' commands ;;",
    '    args)',
    '      case $words[1] in',
  ];
  for (const e of list) {
    const specs = e.options.map(zshSpec);
    if (e.positional) specs.push(`'1:value:(${e.positional.join(' ')})'`);
    lines.push(`        ${e.names.join('|')}) _arguments $globals ${specs.join(' ')} ;;`);
  }
  lines.push('      esac ;;', '  esac', '}', 'if [[ $zsh_eval_context[-1] == loadautofunc ]]; then _tenantadm "$@"; else compdef _tenantadm tenantadm; fi', '');
  return lines.join('\n');
}

// ---------------------------------------------------------------------------------------

function fishText(s: string): string {
  return `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

function fishLine(o: Completable, condition: string | undefined): string {
  const parts = ['complete -c tenantadm'];
  if (condition) parts.push(`-n ${fishText(condition)}`);
  if (o.short) parts.push(`-s ${o.short.slice(1)}`);
  parts.push(`-l ${o.long.slice(2)}`);
  if (o.takesValue) parts.push(o.file ? '-r -F' : '-x');
  if (o.values) parts.push(`-a ${fishText(o.values.join(' '))}`);
  if (o.fromDatabase) parts.push(`-a ${fishText(`(${FROM_DATABASE(o.fromDatabase)})`)}`);
  parts.push(`-d ${fishText(o.help)}`);
  return parts.join(' ');
}

function fish(list: Entry[]): string {
  const all = allCommands(list).join(' ');
  const lines = [
    '# fish completion for tenantadm; generated by `tenantadm completion fish`.',
    '# Install it as ~/.config/fish/completions/tenantadm.fish',
    'complete -c tenantadm -f',
  ];
  for (const o of completables(globalOptions)) lines.push(fishLine(o, undefined));
  for (const e of list) {
    for (const n of e.names) lines.push(`complete -c tenantadm -n ${fishText(`not __fish_seen_subcommand_from ${all}`)} -a ${n} -d ${fishText(e.summary)}`);
    const seen = `__fish_seen_subcommand_from ${e.names.join(' ')}`;
    for (const o of e.options) lines.push(fishLine(o, seen));
    if (e.positional) lines.push(`complete -c tenantadm -n ${fishText(seen)} -a ${fishText(e.positional.join(' '))}`);
  }
  lines.push('');
  return lines.join('\n');
}

/** The completion script for one shell, for the commands of the table handed in. */
export function completionScript(shell: Shell, commands: readonly CommandSpec[]): string {
  const list = entries(commands);
  return shell === 'bash' ? bash(list) : shell === 'zsh' ? zsh(list) : fish(list);
}
