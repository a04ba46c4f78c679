import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { BatchLine } from '@darklens/functions';
import { lineWriter, OutputFile, outputFormat } from './output-file.js';

const dir = mkdtempSync(join(tmpdir(), 'darklens-output-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const line: BatchLine = { index: 7, name: 'a "b".fits', error: { code: 'truncated', message: 'short' } };

describe('output files', () => {
  it('are CSV or JSONL by extension, and nothing else', () => {
    expect(outputFormat('r.CSV')).toBe('csv');
    expect(outputFormat('out/r.jsonl')).toBe('jsonl');
    expect(outputFormat('r.ndjson')).toBe('jsonl');
    expect(() => outputFormat('r.json')).toThrow(/\.csv or \.jsonl/);
  });

  it('write JSONL lines exactly as JSON.stringify gives the batch line, and CSV with its header', () => {
    expect(lineWriter('jsonl', ['rbm'])).toMatchObject({ head: '' });
    expect(lineWriter('jsonl', ['rbm']).line(line)).toBe(`${JSON.stringify(line)}\n`);
    expect(lineWriter('csv', ['rbm']).head).toMatch(/^index,name,.*,rbm_flagged\r\n$/);
    expect(lineWriter('csv', ['rbm']).line(line)).toBe('7,"a ""b"".fits",,,,,,truncated,short,,,,,,\r\n');
  });

  it('continue from a length, dropping what followed it', async () => {
    const path = join(dir, 'r.csv');
    const f = await OutputFile.create(path, 'head\r\n');
    await f.append('one\r\n');
    const kept = f.size;
    await f.append('two, in part');
    await f.close();
    const g = await OutputFile.resume(path, kept);
    await g.append('two\r\n');
    await g.close();
    expect(readFileSync(path, 'utf8')).toBe('head\r\none\r\ntwo\r\n');
    await expect(OutputFile.resume(path, 1000)).rejects.toThrow(/shorter/);
  });
});
