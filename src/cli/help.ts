/**
 * `tenantadm --help`, `tenantadm help CMD` and `tenantadm CMD --help` answered from text the
 * build rendered with the real parser (scripts/gen-help.js writes dist/cli/help.json), so help
 * starts as fast as node itself: no parser, no command table. Anything else, or running
 * from source, goes through the parser.
 */
export interface HelpTexts {
  program: string;
  commands: Record<string, string>;
}

function texts(): HelpTexts | undefined {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return require('./help.json') as HelpTexts;
  } catch {
    return undefined;
  }
}

const HELP = new Set(['--help', '-h']);

/** The help text argv asks for, when it asks for nothing else; undefined otherwise. */
export function prebuiltHelp(argv: string[]): string | undefined {
  const args = argv.slice(2);
  if (args.length === 0 || args.length > 2) return undefined;
  const [first, second] = args as [string, string | undefined];
  const isHelp = (s: string | undefined) => s !== undefined && HELP.has(s);
  let command: string | undefined;
  if (args.length === 1 && (isHelp(first) || first === 'help')) command = '';
  else if (first === 'help' && second !== undefined) command = second;
  else if (isHelp(second)) command = first;
  if (command === undefined) return undefined;
  const help = texts();
  if (!help) return undefined;
  return command === '' ? help.program : help.commands[command];
}
