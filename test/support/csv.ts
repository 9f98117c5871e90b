/** A strict RFC 4180 parser for tests: quoted fields, doubled quotes, CRLF records, embedded newlines. */
export function parseCsv(text: string): string[][] {
  const records: string[][] = [];
  let record: string[] = [];
  let field = '';
  let i = 0;
  let quoted = false;
  let atFieldStart = true;
  while (i < text.length) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"') {
        if (text[i + 1] === '"') {
          field += '"';
          i += 2;
          continue;
        }
        quoted = false;
        i += 1;
        if (i < text.length && text[i] !== ',' && text[i] !== '\r') throw new Error(`CSV: text after a closing quote at ${i}`);
        continue;
      }
      field += c;
      i += 1;
      continue;
    }
    if (c === '"') {
      if (!atFieldStart) throw new Error(`CSV: quote inside an unquoted field at ${i}`);
      quoted = true;
      atFieldStart = false;
      i += 1;
      continue;
    }
    if (c === ',') {
      record.push(field);
      field = '';
      atFieldStart = true;
      i += 1;
      continue;
    }
    if (c === '\r') {
      if (text[i + 1] !== '\n') throw new Error(`CSV: bare CR at ${i}`);
      record.push(field);
      records.push(record);
      record = [];
      field = '';
      atFieldStart = true;
      i += 2;
      continue;
    }
    if (c === '\n') throw new Error(`CSV: bare LF at ${i} (records end in CRLF)`);
    field += c;
    atFieldStart = false;
    i += 1;
  }
  if (quoted) throw new Error('CSV: unterminated quoted field');
  if (field !== '' || record.length > 0) throw new Error('CSV: the last record does not end in CRLF');
  return records;
}

/** Records as objects keyed by the header row. */
export function csvObjects(text: string): Record<string, string>[] {
  const [header, ...rows] = parseCsv(text);
  if (!header) throw new Error('CSV: no header');
  return rows.map((row) => {
    if (row.length !== header.length) throw new Error(`CSV: ${row.length} fields, header has ${header.length}`);
    return Object.fromEntries(header.map((h, i) => [h, row[i]!]));
  });
}
