/**
 * Validation at the edge: parsed options (schemas derived from the declarations in
 * options.ts) and JSON documents (a plan, SSO or storage settings) are checked once before
 * a command uses them. The validators are compiled at build time (scripts/gen-validators.js
 * writes dist/validators/HASH.js with ajv's standalone code), so a run never loads ajv or compiles
 * the meta-schema; a schema the build did not see (running from source, in tests) is compiled here.
 */
import type { ErrorObject } from 'ajv';
import { UsageError } from './errors';
import { constraintMessage, flagOf, valueMessage, type ArgumentDecl, type Constraint, type OptionDecls } from './options';

type Validator = ((data: unknown) => boolean) & { errors?: ErrorObject[] | null };

/** The file the build writes a schema's validator to: an FNV-1a hash of its JSON text. */
export function schemaFileName(key: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) {
    h ^= key.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return `${h.toString(16).padStart(8, '0')}.js`;
}

/** The build's validator for this schema, if the build saw exactly this schema. */
function prebuiltFor(key: string): Validator | undefined {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const fn = require(`./validators/${schemaFileName(key)}`) as Validator & { schemaKey?: string };
    return fn.schemaKey === key ? fn : undefined;
  } catch {
    return undefined;
  }
}

let ajvInstance: import('ajv').default | undefined;
const loaded = new Map<string, Validator>();

/** The ajv options the build uses too (scripts/gen-validators.js), so both paths validate alike. */
// strictRequired off: constraints name options in `required` without repeating their `properties`.
export const AJV_OPTIONS = { allErrors: false, coerceTypes: false, useDefaults: true, strict: true, strictRequired: false } as const;

function compiled(schema: object): Validator {
  const key = JSON.stringify(schema);
  let fn = loaded.get(key) ?? prebuiltFor(key);
  if (!fn) {
    if (!ajvInstance) {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const Ajv = (require('ajv') as { default: typeof import('ajv').default }).default;
      ajvInstance = new Ajv(AJV_OPTIONS);
    }
    fn = ajvInstance.compile(schema);
  }
  loaded.set(key, fn);
  return fn;
}

/** The message for the first error, in the terms of the declarations: a flag, a value, a constraint. */
function describeFlags(err: ErrorObject, data: Record<string, unknown>, decls: OptionDecls, constraints: readonly Constraint[], argument?: ArgumentDecl): string {
  const constraint = /^#\/allOf\/(\d+)\//.exec(err.schemaPath);
  if (constraint) return constraintMessage(constraints[Number(constraint[1])]!);
  if (argument && (err.instancePath === `/${argument.name}` || (err.params as { missingProperty?: string }).missingProperty === argument.name)) {
    return `<${argument.name}> must be one of ${argument.values.join(', ')}`;
  }
  if (err.keyword === 'required') return `missing ${flagOf((err.params as { missingProperty: string }).missingProperty)}`;
  if (err.keyword === 'additionalProperties') return `unexpected option ${flagOf((err.params as { additionalProperty: string }).additionalProperty)}`;
  const key = err.instancePath.split('/')[1] ?? '';
  return valueMessage(key, decls[key], data[key]);
}

/**
 * Validate parsed flags against the schema derived from their declarations; on failure exit 2
 * naming the flag or the broken constraint. The type is the one derived from the same declarations.
 */
export function validateFlags<T>(
  schema: object,
  data: Record<string, unknown>,
  decls: OptionDecls,
  constraints: readonly Constraint[],
  argument?: ArgumentDecl,
  command?: string,
): T {
  const fn = compiled(schema);
  if (!fn(data)) {
    const err = fn.errors?.[0];
    const missing = err?.keyword === 'required' && err.schemaPath === '#/required' ? (err.params as { missingProperty: string }).missingProperty : undefined;
    // A missing text option is named in the details, so a person at a terminal can be asked for it (main.ts).
    const askable = missing !== undefined && decls[missing]?.type === 'string' ? { missing: flagOf(missing), prompt: decls[missing]!.help } : undefined;
    throw new UsageError(err ? describeFlags(err, data, decls, constraints, argument) : 'invalid options', `see tenantadm ${command ? `${command} ` : ''}--help`, askable);
  }
  return data as T;
}

function describeDocument(err: ErrorObject): string {
  const pointer = err.instancePath === '' ? '/' : err.instancePath;
  if (err.keyword === 'additionalProperties') {
    return `${pointer}: unexpected property "${(err.params as { additionalProperty: string }).additionalProperty}"`;
  }
  if (err.keyword === 'enum') return `${pointer}: must be one of ${(err.params as { allowedValues: unknown[] }).allowedValues.join(', ')}`;
  return `${pointer}: ${err.message ?? 'is invalid'}`;
}

/** Validate a JSON document (a plan, SSO settings...); the error names the JSON pointer. */
export function validateDocument<T>(schema: object, data: unknown, source: string): T {
  const fn = compiled(schema);
  if (!fn(data)) {
    const err = fn.errors?.[0];
    throw new UsageError(`${source}: ${err ? describeDocument(err) : 'invalid document'}`, 'fix the file and run again', {
      pointer: err?.instancePath || '/',
    });
  }
  return data as T;
}
