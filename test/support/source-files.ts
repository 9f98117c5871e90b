/** The tool's own source, as the structure tests read it: every .ts file under src/ but the tests. */
import fs from 'node:fs';
import path from 'node:path';

export const SRC = path.resolve(__dirname, '../../src');

/** Every source file under `dir` (absolute paths), tests left out. */
export function sourceFiles(dir: string = SRC): string[] {
  const out: string[] = [];
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...sourceFiles(p));
    else if (e.name.endsWith('.ts') && !e.name.endsWith('.test.ts')) out.push(p);
  }
  return out;
}
