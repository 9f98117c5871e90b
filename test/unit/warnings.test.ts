/**
 * Every warning gets its "tenantadm: warning: " prefix from main, once (deps.warn, the
 * journal's notice, resolveConfig's warn are all main's `warn`). A caller that writes
 * "tenantadm:" itself prints it twice: "tenantadm: warning: tenantadm: ...". This reads every
 * call of a warn/notice function in src/ and fails on a text that starts with "tenantadm:".
 */
import fs from 'node:fs';
import path from 'node:path';
import ts from 'typescript';
import { resolveConfig } from '../../src/config';
import { SRC, sourceFiles } from '../support/source-files';

/** The literal text a message argument starts with, through templates and `+` chains. */
function leadingText(node: ts.Node): string | undefined {
  if (ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node)) return node.text;
  if (ts.isTemplateExpression(node)) return node.head.text;
  if (ts.isBinaryExpression(node) && node.operatorToken.kind === ts.SyntaxKind.PlusToken) return leadingText(node.left);
  if (ts.isParenthesizedExpression(node)) return leadingText(node.expression);
  return undefined;
}

/** The functions whose text main prefixes: warn, notice, and notices.ts's once(deps, key, line). */
const WARNERS = /^(warn|notice|once)$/;

function calleeName(call: ts.CallExpression): string | undefined {
  const e = call.expression;
  if (ts.isIdentifier(e)) return e.text;
  if (ts.isPropertyAccessExpression(e)) return e.name.text;
  return undefined;
}

/** `file:line: text` of every warn-like call whose message starts with "tenantadm:". */
export function doublePrefixes(file: string, text: string): string[] {
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
  const found: string[] = [];
  const visit = (node: ts.Node): void => {
    if (ts.isCallExpression(node) && WARNERS.test(calleeName(node) ?? '')) {
      for (const arg of node.arguments) {
        const lead = leadingText(arg);
        if (lead !== undefined && /^\s*tenantadm:/.test(lead)) {
          found.push(`${file}:${source.getLineAndCharacterOfPosition(node.getStart()).line + 1}: ${lead.slice(0, 60)}`);
        }
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

describe('warnings carry main\'s prefix once', () => {
  it('no warn/notice call in src/ writes "tenantadm:" itself', () => {
    const found = sourceFiles(SRC).flatMap((f) => doublePrefixes(path.relative(SRC, f), fs.readFileSync(f, 'utf8')));
    expect(found).toEqual([]);
  });

  it('resolveConfig hands main its warnings without a prefix', () => {
    const warnings: string[] = [];
    resolveConfig({ mongo: 'mongodb://u:pw@db/', redisUrl: 'redis://:pw@cache/0' }, {}, (line) => warnings.push(line));
    expect(warnings).toHaveLength(2);
    for (const w of warnings) expect(w).not.toMatch(/^tenantadm:/);
  });

  it('the scan finds a prefix in a literal, a template, a concatenation and a notice', () => {
    const sample = [
      "deps.warn('tenantadm: a');",
      'warn(`tenantadm: skipped ${x}`);',
      "warn('tenantadm: warning: b' + c);",
      'this.options.notice?.(`tenantadm: waiting for ${key}`);',
      "deps.warn('fine');",
      "writeErr(`tenantadm: ${m}`);",
    ].join('\n');
    expect(doublePrefixes('x.ts', sample).map((l) => l.split(':')[1])).toEqual(['1', '2', '3', '4']);
  });
});
