import { describe, expect, it } from 'vitest';
import type { BatchLine } from '@darklens/functions';
import { countLine, emptyTally, summaryLines } from './tally.js';

const failed = (index: number, code: string, message: string): BatchLine => ({ index, name: `f${index}`, error: { code, message } });

describe('the tally', () => {
  it('groups failures by code, most frequent first, with the first one as the example', () => {
    const t = emptyTally();
    for (const l of [failed(0, 'truncated', 'short\nmore'), failed(1, 'unsupported_format', 'not a cutout'), failed(2, 'unsupported_format', 'also not')]) countLine(t, l);
    expect(t).toMatchObject({ scored: 0, failed: 3, failures: { unsupported_format: { count: 2, name: 'f1', message: 'not a cutout' } } });
    const lines = summaryLines(t, { out: 'r.csv', total: 5, resumedAt: 2, scoredNow: 3, scoringSeconds: 2, wallSeconds: 4 });
    expect(lines[0]).toBe('darklens: 3 of 5 cutouts in r.csv: 0 scored, 3 failed (resumed at 2)');
    expect(lines[1]).toBe('  this run: 3 cutouts in 4.0s (start-up 2.0s; scoring 2.0s: 1.50 cutouts/s)');
    const codes = lines.filter((l) => l.startsWith('    ')).map((l) => l.trim().split(':')[0]);
    expect(codes).toEqual(['unsupported_format', 'truncated']);
    expect(lines.find((l) => l.includes('truncated'))).toMatch(/first: f0: short\)$/);
  });
});
