/** `--databases`: which databases a scan or a removal looks in (and their per-tenant `<name>-<id>` databases). */
import { UsageError } from '../errors';

/** What a database (or collection) name may be: the names Mender's services and this tool use. */
export const DB_NAME = /^[A-Za-z0-9_-]{1,63}$/;

/** The parser has split comma lists and refused empty items; here each name is checked. */
export function parseDatabaseNames(values: string[] | undefined): string[] | undefined {
  if (values === undefined) return undefined;
  const bad = values.find((n) => !DB_NAME.test(n));
  if (bad !== undefined || values.length === 0) {
    throw new UsageError(
      `invalid --databases name "${bad ?? ''}"`,
      'give database names (letters, digits, _ and -), e.g. --databases deviceauth,useradm,deployment_service',
    );
  }
  return [...new Set(values)];
}
