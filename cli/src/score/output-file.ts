/**
 * The results file: CSV (result-rows.ts, shared with the jobs API) or JSONL (the batch route's
 * NDJSON lines), chosen by the extension. Appended one step at a time and flushed to disk before the
 * progress file records it, so a crash never leaves the progress file ahead of the results.
 */
import { open, type FileHandle } from 'node:fs/promises';
import { extname } from 'node:path';
import { DarklensError } from '@darklens/core';
import { csvHeader, csvRow, type BatchLine } from '@darklens/functions';

export type OutputFormat = 'csv' | 'jsonl';

export function outputFormat(path: string): OutputFormat {
  const ext = extname(path).toLowerCase();
  if (ext === '.csv') return 'csv';
  if (ext === '.jsonl' || ext === '.ndjson') return 'jsonl';
  throw new DarklensError('invalid_argument', `--out ${path}: the results file must end in .csv or .jsonl (.ndjson)`);
}

export interface LineWriter {
  /** Text before the first line (the CSV header). */
  head: string;
  line(l: BatchLine): string;
}

export function lineWriter(format: OutputFormat, roles: readonly string[]): LineWriter {
  if (format === 'csv') return { head: csvHeader(roles), line: (l) => csvRow(l, roles) };
  return { head: '', line: (l) => `${JSON.stringify(l)}\n` };
}

export class OutputFile {
  private constructor(
    private readonly fh: FileHandle,
    /** Bytes in the file. */
    public size: number,
  ) {}

  /** A new (or emptied) file holding `head`. */
  static async create(path: string, head: string): Promise<OutputFile> {
    const fh = await open(path, 'w');
    const f = new OutputFile(fh, 0);
    await f.append(head);
    return f;
  }

  /** An existing file cut back to its first `bytes` (what the progress file says is complete). */
  static async resume(path: string, bytes: number): Promise<OutputFile> {
    const fh = await open(path, 'r+');
    const { size } = await fh.stat();
    if (size < bytes) {
      await fh.close();
      throw new DarklensError('invalid_argument', `${path} is shorter (${size} bytes) than its progress file says it was (${bytes}): it was changed since; rerun with --restart to score everything again`);
    }
    await fh.truncate(bytes);
    return new OutputFile(fh, bytes);
  }

  async append(text: string): Promise<void> {
    if (text === '') return;
    const bytes = Buffer.from(text, 'utf8');
    let at = 0;
    while (at < bytes.length) at += (await this.fh.write(bytes, at, bytes.length - at, this.size + at)).bytesWritten;
    this.size += bytes.length;
  }

  /** Waits until what was appended is on disk. */
  sync(): Promise<void> {
    return this.fh.datasync();
  }

  close(): Promise<void> {
    return this.fh.close();
  }
}
