import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

// The layout's rules (README, Architecture), checked on every run so they cannot erode:
// dependencies point down, no cycles between the folders of src/lib, and no file grows past
// 300 lines without saying why.
const SRC = fileURLToPath(new URL('.', import.meta.url));
const MAX_LINES = 300;
/** A file over MAX_LINES must say why in its first lines ("over 300 lines: ..."). */
const LONG_FILE_MARKER = /(over|longer than) 300 lines/i;

function sourceFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(full);
    return /\.(ts|tsx)$/.test(entry.name) ? [full] : [];
  });
}

/** Every module an import or export statement names, resolved to a path under src/ when it is ours. */
function importsOf(file: string): string[] {
  const text = fs.readFileSync(file, 'utf8');
  const found: string[] = [];
  for (const match of text.matchAll(/(?:import|export)[^'"]*?from\s+['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g)) {
    const spec = match[1] ?? match[2]!;
    if (spec.startsWith('@/')) found.push(path.join(SRC, spec.slice(2)));
    else if (spec.startsWith('.')) found.push(path.resolve(path.dirname(file), spec));
  }
  return found;
}

const rel = (p: string) => path.relative(SRC, p).split(path.sep).join('/');
const files = sourceFiles(SRC).filter((f) => !/\.(test|spec)\.tsx?$/.test(f));

describe('the layout', () => {
  it('nothing under src/lib imports src/app, src/workers, src/components or src/server', () => {
    const upward = files
      .filter((f) => rel(f).startsWith('lib/'))
      .flatMap((f) => importsOf(f).map((target) => `${rel(f)} -> ${rel(target)}`))
      .filter((edge) => / -> (app|workers|components|server)\//.test(edge));
    expect(upward).toEqual([]);
  });

  it('the folders of src/lib import each other without cycles', () => {
    const folderOf = (p: string) => rel(p).split('/').slice(0, 2).join('/');
    const graph = new Map<string, Set<string>>();
    for (const file of files.filter((f) => rel(f).startsWith('lib/'))) {
      const from = folderOf(file);
      for (const target of importsOf(file)) {
        const to = folderOf(target);
        if (to.startsWith('lib/') && to !== from) (graph.get(from) ?? graph.set(from, new Set()).get(from)!).add(to);
      }
    }
    const cycles: string[] = [];
    const visit = (node: string, trail: string[]) => {
      if (trail.includes(node)) {
        cycles.push([...trail.slice(trail.indexOf(node)), node].join(' -> '));
        return;
      }
      for (const next of graph.get(node) ?? []) visit(next, [...trail, node]);
    };
    for (const node of graph.keys()) visit(node, []);
    expect(cycles).toEqual([]);
  });

  it(`no source file is over ${MAX_LINES} lines without a comment saying why`, () => {
    const tooLong = sourceFiles(SRC)
      .map((f) => ({ file: rel(f), text: fs.readFileSync(f, 'utf8') }))
      .filter(({ text }) => text.split('\n').length > MAX_LINES)
      .filter(({ text }) => !LONG_FILE_MARKER.test(text.split('\n').slice(0, 15).join('\n')))
      .map(({ file }) => file);
    expect(tooLong).toEqual([]);
  });
});
