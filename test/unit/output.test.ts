import { PassThrough } from 'node:stream';
import { Sink, render, csvField, type Result } from '../../src/output';

async function rendered(result: Result, format: 'json' | 'ndjson' | 'table' | 'csv'): Promise<string> {
  const out = new PassThrough();
  let text = '';
  out.on('data', (d: Buffer) => (text += d.toString()));
  await render(result, format, new Sink(out), false);
  return text;
}

async function* gen<T>(items: T[]): AsyncGenerator<T> {
  for (const i of items) yield i;
}

const columns = [
  { header: 'ID', get: (r: any) => r.id },
  { header: 'NAME', get: (r: any) => r.name },
];
const rows = [
  { id: '1', name: 'a, "quoted"' },
  { id: '2', name: 'b\nline' },
];

describe('render', () => {
  it('streams a JSON array that parses back, and [] for nothing', async () => {
    expect(JSON.parse(await rendered({ type: 'list', rows: gen(rows), columns }, 'json'))).toEqual(rows);
    expect(await rendered({ type: 'list', rows: gen([]), columns }, 'json')).toBe('[]\n');
  });
  it('writes one object per line for NDJSON', async () => {
    const text = await rendered({ type: 'list', rows: gen(rows), columns }, 'ndjson');
    expect(text.trimEnd().split('\n').map((l) => JSON.parse(l))).toEqual(rows);
  });
  it('quotes CSV fields per RFC 4180', async () => {
    const text = await rendered({ type: 'list', rows: gen(rows), columns }, 'csv');
    expect(text).toBe('ID,NAME\r\n1,"a, ""quoted"""\r\n2,"b\nline"\r\n');
    expect(csvField(' lead')).toBe('" lead"');
  });
  it('draws a table without colour when asked for none', async () => {
    const text = await rendered({ type: 'list', rows: rows, columns }, 'table');
    expect(text).toContain('ID');
    expect(text).not.toMatch(/\u001b\[/);
  });
  it('prints objects and text', async () => {
    expect(JSON.parse(await rendered({ type: 'object', data: { a: 1 } }, 'json'))).toEqual({ a: 1 });
    expect(await rendered({ type: 'object', data: { a: 1 } }, 'ndjson')).toBe('{"a":1}\n');
    expect(await rendered({ type: 'text', text: 'id' }, 'json')).toBe('id\n');
    expect(await rendered({ type: 'none' }, 'json')).toBe('');
  });
});
