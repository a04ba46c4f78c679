import { describe, expect, it } from 'vitest';
import { formatDuration, formatRate, ProgressBar, REDRAW_MS } from './progress.js';

function fakeStream(isTTY: boolean, columns?: number) {
  const writes: string[] = [];
  return {
    writes,
    isTTY,
    columns,
    write(s: string): boolean {
      writes.push(s);
      return true;
    },
    /** Everything written, as a terminal would keep it for plain lines. */
    get text(): string {
      return writes.join('');
    },
  };
}

function fakeClock(startMs = 1_000_000) {
  let t = startMs;
  return {
    now: () => t,
    advance(ms: number) {
      t += ms;
    },
  };
}

describe('formatDuration / formatRate', () => {
  it('formats durations', () => {
    expect(formatDuration(0)).toBe('0.0s');
    expect(formatDuration(3.24)).toBe('3.2s');
    expect(formatDuration(47)).toBe('47s');
    expect(formatDuration(59.6)).toBe('1m00s');
    expect(formatDuration(185)).toBe('3m05s');
    expect(formatDuration(2 * 3600 + 7 * 60 + 10)).toBe('2h07m');
    expect(formatDuration(Number.NaN)).toBe('--');
    expect(formatDuration(Infinity)).toBe('--');
    expect(formatDuration(-1)).toBe('--');
  });

  it('formats rates to about three digits', () => {
    expect(formatRate(1234.4)).toBe('1234');
    expect(formatRate(12.34)).toBe('12.3');
    expect(formatRate(0.421)).toBe('0.42');
    expect(formatRate(Number.NaN)).toBe('--');
  });
});

describe('ProgressBar on a TTY', () => {
  it('redraws one line with \\r and shows label, bar, percent, count, rate, ETA and info', () => {
    const s = fakeStream(true, 100);
    const clock = fakeClock();
    const bar = new ProgressBar({ total: 100, label: 'simulate', unit: 'img', stream: s, now: clock.now });
    clock.advance(2000);
    bar.tick(25, 'loss 0.5');
    expect(s.writes).toHaveLength(1);
    const w = s.writes[0]!;
    expect(w.startsWith('\r')).toBe(true);
    expect(w).not.toContain('\n');
    // 25 units in 2 s = 12.5 img/s; 75 left -> 6 s.
    expect(w).toMatch(/^\rsimulate \[█+░+\] {2}25% 25\/100 12\.5 img\/s ETA 6\.0s {2}loss 0\.5$/);
    // The bar is a quarter full.
    const bar25 = /\[(█*)(░*)\]/.exec(w)!;
    expect(bar25[1]!.length / (bar25[1]!.length + bar25[2]!.length)).toBeCloseTo(0.25, 1);
    expect(w.length - 1).toBeLessThan(100);
  });

  it('redraws at most once per REDRAW_MS, but always shows 100%', () => {
    const s = fakeStream(true, 120);
    const clock = fakeClock();
    const bar = new ProgressBar({ total: 1000, stream: s, now: clock.now });
    for (let i = 0; i < 999; i++) {
      clock.advance(1); // 1 ms per unit: 999 ticks in ~1 s
      bar.tick();
    }
    const frames = s.writes.length;
    expect(frames).toBeGreaterThanOrEqual(9);
    expect(frames).toBeLessThanOrEqual(11);
    clock.advance(1);
    bar.tick(); // reaches the total 1 ms after the last frame
    expect(s.writes).toHaveLength(frames + 1);
    expect(s.writes.at(-1)).toContain('100% 1000/1000');
    expect(s.writes.at(-1)).toContain('ETA 0.0s');
    bar.done();
    expect(s.writes.at(-1)).toBe('\n');
    expect(s.writes.at(-2)).toMatch(/100% 1000\/1000 1000 it\/s in 1\.0s/);
    // Nothing after done().
    bar.tick();
    bar.done();
    expect(s.writes.at(-1)).toBe('\n');
    expect(s.text.split('\n')).toHaveLength(2);
  });

  it('pads a shorter redraw so no stale characters remain', () => {
    const s = fakeStream(true, 120);
    const clock = fakeClock();
    const bar = new ProgressBar({ total: 10, stream: s, now: clock.now });
    clock.advance(REDRAW_MS);
    bar.tick(1, 'a rather long info text');
    clock.advance(REDRAW_MS);
    bar.tick(1, 'short');
    const [a, b] = s.writes;
    expect(b!.length).toBe(a!.length);
    expect(b!.trimEnd().endsWith('short')).toBe(true);
  });

  it('fits the line to the terminal width', () => {
    const s = fakeStream(true, 60);
    const clock = fakeClock();
    const bar = new ProgressBar({ total: 10, label: 'train', stream: s, now: clock.now });
    clock.advance(1000);
    bar.tick(1, 'x'.repeat(200));
    expect(s.writes[0]!.length - 1).toBe(59);
    // Too narrow for a bar: stats only, still no wrap.
    const narrow = fakeStream(true, 40);
    const bar2 = new ProgressBar({ total: 10, label: 'train', stream: narrow, now: clock.now });
    clock.advance(1000);
    bar2.tick(1);
    expect(narrow.writes[0]).not.toContain('[');
    expect(narrow.writes[0]!.length - 1).toBeLessThanOrEqual(39);
  });

  it('shows unknown rate and ETA before any time has passed', () => {
    const s = fakeStream(true, 100);
    const clock = fakeClock();
    const bar = new ProgressBar({ total: 10, stream: s, now: clock.now });
    bar.tick(1);
    expect(s.writes[0]).toContain('-- it/s ETA --');
  });
});

describe('ProgressBar off a TTY', () => {
  it('prints a plain line every 10% and a final line from done()', () => {
    const s = fakeStream(false);
    const clock = fakeClock();
    const bar = new ProgressBar({ total: 200, label: 'score', unit: 'file', stream: s, now: clock.now });
    for (let i = 0; i < 200; i++) {
      clock.advance(50); // 20 files/s
      bar.tick(1, `file_${i}.fits`);
    }
    bar.done('ok');
    const lines = s.text.split('\n');
    expect(lines.at(-1)).toBe(''); // ends with a newline
    lines.pop();
    expect(lines).toHaveLength(10); // 10%..90% plus the final line
    expect(s.text).not.toContain('\r');
    expect(s.text).not.toContain('█');
    expect(lines[0]).toBe('score  10% 20/200 20.0 file/s ETA 9.0s  file_19.fits');
    expect(lines[4]).toBe('score  50% 100/200 20.0 file/s ETA 5.0s  file_99.fits');
    expect(lines[8]).toMatch(/^score {2}90% 180\/200 /);
    expect(lines[9]).toBe('score 100% 200/200 20.0 file/s in 10s  ok');
  });

  it('prints one line when a tick jumps several deciles', () => {
    const s = fakeStream(false);
    const clock = fakeClock();
    const bar = new ProgressBar({ total: 10, stream: s, now: clock.now });
    clock.advance(1000);
    bar.tick(4);
    bar.tick(0);
    expect(s.writes).toEqual([' 40% 4/10 4.00 it/s ETA 1.5s\n']);
    bar.tick(1);
    expect(s.writes).toHaveLength(2);
    expect(s.writes[1]).toMatch(/^ 50% 5\/10 /);
  });

  it('handles an empty job', () => {
    const s = fakeStream(false);
    const clock = fakeClock();
    const bar = new ProgressBar({ total: 0, stream: s, now: clock.now });
    clock.advance(500);
    bar.done();
    expect(s.writes).toEqual(['100% 0/0 0.00 it/s in 0.5s\n']);
  });

  it('rejects bad totals and ticks', () => {
    expect(() => new ProgressBar({ total: -1, stream: fakeStream(false) })).toThrow(/total/);
    expect(() => new ProgressBar({ total: Number.NaN, stream: fakeStream(false) })).toThrow(/total/);
    const bar = new ProgressBar({ total: 3, stream: fakeStream(false) });
    expect(() => bar.tick(-1)).toThrow(/tick/);
    expect(bar.count).toBe(0);
  });
});
