/** Secrets are shown as a fixed mask: its length says nothing about the secret's length. */
export const MASK = '********';

/** A copy of `doc` with the given fields replaced by the mask where they are present. */
export function maskFields<T extends object>(doc: T, secretFields: readonly string[]): T {
  const out = { ...doc } as Record<string, unknown>;
  for (const field of secretFields) {
    if (out[field] !== undefined && out[field] !== null && out[field] !== '') out[field] = MASK;
  }
  return out as T;
}

