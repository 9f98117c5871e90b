/**
 * How a command is declared: its options, help and examples as plain data (`defineCommand`,
 * in each src/commands/<name>/spec.ts), and how the command table ties a spec to the code that
 * runs it (`withRun`), loaded only when that command runs. The parser, the validation
 * schemas, --help, the man page and completion are all derived from these declarations.
 */
import type { GlobalFlags } from './config';
import type { Deps } from './deps';
import type { Result } from './output';
import { schemaOf, type ArgumentDecl, type Constraint, type OptionDecls, type OptionsOf } from './options';
import { validateFlags } from './validate';

/** What a command sees besides its own options while its flags are bound. */
export interface BindContext {
  /** The name typed: the command's or an alias. */
  invokedAs: string;
  globals: GlobalFlags;
  /** A warning about how the command was asked for (a deprecated spelling); printed before it runs. */
  warn: (message: string) => void;
}

/** A command's validated options, ready to run. */
export interface Bound {
  options: object;
  run: (deps: Deps) => Promise<Result>;
}

/** A command as its spec declares it: data, and the validation derived from it. */
export interface CommandDecl<O = object> {
  name: string;
  aliases: readonly string[];
  summary: string;
  description?: string;
  options: OptionDecls;
  constraints: readonly Constraint[];
  argument?: ArgumentDecl;
  examples: readonly string[];
  /** The JSON Schema its parsed options must satisfy (derived from the declarations). */
  schema(): object;
  /** Validate parsed flags (exit 2 naming the flag) into the options its code receives. */
  validate(flags: Record<string, unknown>, context: BindContext): O;
}

/** A command as the parser, help, man page and completion see it: its spec bound to its code. */
export interface CommandSpec extends CommandDecl {
  /** Validate parsed flags (exit 2 naming the flag) and bind them to the command's code. */
  bind(flags: Record<string, unknown>, context: BindContext): Bound;
}

/** The code of a command: its validated options and the dependencies in, data out. */
export type Run<O> = (options: O, deps: Deps) => Promise<Result>;

type ArgumentOf<A> = A extends { name: infer N extends string; values: readonly (infer V)[] } ? { [K in N]: V } : unknown;

/** The options a command's function receives: its declarations' types, plus its argument. */
export type CommandOptions<D extends OptionDecls, A = undefined> = OptionsOf<D> & ArgumentOf<A>;

/**
 * Declare a command (in its spec.ts). The options its code receives are typed by its
 * declarations: `withRun` accepts only a function of exactly those options.
 */
export function defineCommand<const D extends OptionDecls, const A extends ArgumentDecl | undefined = undefined>(spec: {
  name: string;
  aliases?: readonly string[];
  summary: string;
  description?: string;
  options: D;
  constraints?: readonly Constraint<keyof D & string>[];
  argument?: A;
  examples: readonly string[];
  /** Rewrite validated options (compatibility spellings; a command option a global one shadows). */
  adapt?: (options: CommandOptions<D, A>, context: BindContext) => CommandOptions<D, A>;
}): CommandDecl<CommandOptions<D, A>> {
  const constraints = spec.constraints ?? [];
  const schema = () => schemaOf(spec.options, constraints, spec.argument);
  return {
    name: spec.name,
    aliases: spec.aliases ?? [],
    summary: spec.summary,
    ...(spec.description !== undefined ? { description: spec.description } : {}),
    options: spec.options,
    constraints,
    ...(spec.argument ? { argument: spec.argument } : {}),
    examples: spec.examples,
    schema,
    validate(flags, context) {
      const validated = validateFlags<CommandOptions<D, A>>(schema(), flags, spec.options, constraints, spec.argument, spec.name);
      return spec.adapt ? spec.adapt(validated, context) : validated;
    },
  };
}

/** A spec tied to its code; `load` is called only when the command runs. */
export function withRun<O extends object>(decl: CommandDecl<O>, load: () => Run<O>): CommandSpec {
  return {
    ...decl,
    bind(flags, context) {
      const options = decl.validate(flags, context);
      return { options, run: (deps) => load()(options, deps) };
    },
  };
}
