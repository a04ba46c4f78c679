/**
 * A small glob matcher for quoted patterns the shell did not expand (Node 20 has no stable fs.glob):
 * `*` and `?` within one path segment, `[abc]` / `[a-z]` / `[!x]` sets, and `**` for any number of
 * folders. As in shells, a wildcard never matches a leading dot: hidden files need an explicit `.`.
 */
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';

/** True when a path argument holds glob characters. */
export function hasGlob(s: string): boolean {
  return /[*?[]/.test(s);
}

/** One path segment's pattern as an anchored RegExp. */
export function segmentRegExp(segment: string): RegExp {
  let re = '';
  for (let i = 0; i < segment.length; i++) {
    const c = segment[i]!;
    if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else if (c === '[') {
      const end = segment.indexOf(']', i + 2);
      if (end < 0) {
        re += '\\[';
        continue;
      }
      let set = segment.slice(i + 1, end);
      const negated = set.startsWith('!') || set.startsWith('^');
      if (negated) set = set.slice(1);
      re += `[${negated ? '^' : ''}${set.replace(/[\\\]^]/g, '\\$&')}]`;
      i = end;
    } else re += c.replace(/[.+^${}()|\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

const matches = (segment: string, name: string): boolean => (name.startsWith('.') && !segment.startsWith('.') ? false : segmentRegExp(segment).test(name));

/** A folder's entries, sorted; `dir` for real folders, `link` for symbolic links (which may be folders). */
async function entries(dir: string): Promise<{ name: string; dir: boolean; link: boolean }[]> {
  try {
    const list = await readdir(dir, { withFileTypes: true });
    return list.map((d) => ({ name: d.name, dir: d.isDirectory(), link: d.isSymbolicLink() })).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  } catch {
    return []; // a folder that cannot be listed matches nothing
  }
}

/**
 * The paths (files or folders) matching `pattern`, relative to `cwd` as the pattern is (an absolute
 * pattern gives absolute paths), sorted. Segments without wildcards are taken as they are.
 */
export async function expandGlob(pattern: string, cwd: string): Promise<string[]> {
  const absolute = pattern.startsWith('/');
  const segments = pattern.split('/').filter((s) => s !== '');
  const out = new Set<string>();
  const start = absolute ? '/' : '';
  const walk = async (shown: string, rest: string[]): Promise<void> => {
    const at = (name: string): string => (shown === '' ? name : shown === '/' ? `/${name}` : `${shown}/${name}`);
    const disk = (p: string): string => (absolute ? p || '/' : join(cwd, p));
    if (rest.length === 0) {
      // Literal segments may name nothing.
      if (shown !== '' && shown !== '/' && (await stat(disk(shown)).then(() => true, () => false))) out.add(shown);
      return;
    }
    const [seg, ...tail] = rest as [string, ...string[]];
    if (seg === '**') {
      await walk(shown, tail);
      // As bash's globstar: ** never follows a symbolic link (no loops).
      for (const e of await entries(disk(shown))) if (e.dir && !e.name.startsWith('.')) await walk(at(e.name), rest);
      return;
    }
    if (!hasGlob(seg)) return walk(at(seg), tail);
    for (const e of await entries(disk(shown))) {
      if (!matches(seg, e.name)) continue;
      if (tail.length === 0 || e.dir || e.link) await walk(at(e.name), tail);
    }
  };
  await walk(start, segments);
  return [...out].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}
