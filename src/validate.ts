/**
 * Validation at the edge: each command declares a JSON Schema for its options; the
 * TypeScript type is derived from it (json-schema-to-ts), and ajv checks the parsed
 * argv once before the command runs. Messages name the flag or the JSON pointer.
 */
import type { ErrorObject, ValidateFunction } from 'ajv';
import { UsageError } from './errors';

let ajvInstance: import('ajv').default | undefined;
function ajv(): import('ajv').default {
  if (!ajvInstance) {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const Ajv = (require('ajv') as { default: typeof import('ajv').default }).default;
    ajvInstance = new Ajv({ allErrors: false, coerceTypes: false, useDefaults: true, strict: true });
  }
  return ajvInstance;
}

const cache = new WeakMap<object, ValidateFunction>();

function compiled(schema: object): ValidateFunction {
  let fn = cache.get(schema);
  if (!fn) {
    fn = ajv().compile(schema);
    cache.set(schema, fn);
  }
  return fn;
}

function flagName(key: string): string {
  return `--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
}

function describe(err: ErrorObject, mode: 'flags' | 'document'): string {
  const path = err.instancePath;
  if (mode === 'flags') {
    const key = path.split('/')[1] ?? (err.params as { additionalProperty?: string; missingProperty?: string }).additionalProperty;
    if (err.keyword === 'required') return `missing ${flagName((err.params as { missingProperty: string }).missingProperty)}`;
    if (err.keyword === 'additionalProperties') {
      return `unexpected option ${flagName((err.params as { additionalProperty: string }).additionalProperty)}`;
    }
    if (err.keyword === 'enum') return `${flagName(key ?? '')} must be one of ${(err.params as { allowedValues: unknown[] }).allowedValues.join(', ')}`;
    return `${flagName(key ?? '')} ${err.message ?? 'is invalid'}`;
  }
  const pointer = path === '' ? '/' : path;
  if (err.keyword === 'additionalProperties') {
    return `${pointer}: unexpected property "${(err.params as { additionalProperty: string }).additionalProperty}"`;
  }
  if (err.keyword === 'enum') return `${pointer}: must be one of ${(err.params as { allowedValues: unknown[] }).allowedValues.join(', ')}`;
  return `${pointer}: ${err.message ?? 'is invalid'}`;
}

/** Validate parsed flags against a command's schema; on failure exit 2 naming the flag. */
export function validateFlags<T>(schema: object, data: unknown): T {
  const fn = compiled(schema);
  if (!fn(data)) {
    const err = fn.errors?.[0];
    throw new UsageError(err ? describe(err, 'flags') : 'invalid options', 'see --help for the accepted options');
  }
  return data as T;
}

/** Validate a JSON document (a plan, SSO settings...); the error names the JSON pointer. */
export function validateDocument<T>(schema: object, data: unknown, source: string): T {
  const fn = compiled(schema);
  if (!fn(data)) {
    const err = fn.errors?.[0];
    throw new UsageError(`${source}: ${err ? describe(err, 'document') : 'invalid document'}`, 'fix the file and run again', {
      pointer: err?.instancePath || '/',
    });
  }
  return data as T;
}
