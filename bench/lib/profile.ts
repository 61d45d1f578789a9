import fs from 'node:fs';
import { SourceMap } from 'node:module';

/**
 * Summarizes a V8 `.cpuprofile` (from `node --cpu-prof`): self time per package and per
 * function, and the inclusive time of our own functions, so RESULTS.md can say where the time
 * goes (ours, the framework's, the driver's). Frames in Next.js's minified server chunks are
 * mapped back to their original files through the chunks' source maps.
 */

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
  columnNumber: number;
}
interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}
interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

interface Frame {
  owner: string;
  fn: string;
}

const maps = new Map<string, SourceMap | null>();

function sourceMapFor(file: string): SourceMap | null {
  if (!maps.has(file)) {
    try {
      maps.set(file, new SourceMap(JSON.parse(fs.readFileSync(`${file}.map`, 'utf8'))));
    } catch {
      maps.set(file, null);
    }
  }
  return maps.get(file)!;
}

/** Who a source path belongs to: a package, `ours: src/...`, `node:internal`, or a V8 pseudo-frame. */
export function ownerOf(source: string, functionName: string): string {
  if (!source) return `(${functionName || 'anonymous'})`;
  const decoded = decodeURIComponent(source);
  const nm = decoded.lastIndexOf('node_modules/');
  if (nm !== -1) {
    const rest = decoded.slice(nm + 'node_modules/'.length).split('/');
    const pkg = rest[0]!.startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0]!;
    const compiled = decoded.match(/next\/dist\/compiled\/(@[^/]+\/[^/]+|[^/]+)/);
    if (pkg === 'next' && compiled) return `next (compiled ${compiled[1]})`;
    // Turbopack follows drizzle-orm's own source maps to paths that lost the package name.
    if (pkg === 'src') return 'drizzle-orm';
    return pkg;
  }
  if (decoded.startsWith('node:')) return 'node:internal';
  const src = decoded.match(/(?:^|\/)src\/(.*)$/);
  if (src) return `ours: src/${src[1]}`;
  if (decoded.includes('.next/server/')) return 'next (server bundle, unmapped)';
  return decoded.replace(/^file:\/\//, '');
}

function resolveFrame(frame: CallFrame): Frame {
  const { url, functionName, lineNumber, columnNumber } = frame;
  if (url.includes('/.next/server/')) {
    const entry = sourceMapFor(url.replace(/^file:\/\//, ''))?.findEntry(lineNumber, columnNumber) as
      { originalSource?: string; originalLine?: number; name?: string } | undefined;
    if (entry?.originalSource) {
      const owner = ownerOf(entry.originalSource, functionName);
      const file = decodeURIComponent(entry.originalSource).replace(/^.*?(node_modules\/|src\/)/, '$1');
      return { owner, fn: `${entry.name ?? functionName ?? '(anonymous)'} ${file}:${(entry.originalLine ?? 0) + 1}` };
    }
  }
  const owner = ownerOf(url, functionName);
  const where = url ? ` ${url.replace(/^file:\/\//, '').replace(/^.*?(node_modules\/|src\/)/, '$1')}:${lineNumber + 1}` : '';
  return { owner, fn: `${functionName || '(anonymous)'}${where}` };
}

export interface ProfileSummary {
  totalMs: number;
  idleMs: number;
  byOwner: Array<{ owner: string; ms: number; share: number }>;
  byFunction: Array<{ fn: string; owner: string; ms: number; share: number }>;
  /** Our functions by inclusive (self + callees) time, synchronous segments only. */
  oursInclusive: Array<{ fn: string; ms: number; share: number }>;
}

export function summarizeProfile(file: string, top = 15): ProfileSummary {
  const profile = JSON.parse(fs.readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  const frames = new Map<number, Frame>();
  const frameOf = (id: number) => {
    let f = frames.get(id);
    if (!f) {
      f = resolveFrame(byId.get(id)!.callFrame);
      frames.set(id, f);
    }
    return f;
  };
  let total = 0;
  let idle = 0;
  const owners = new Map<string, number>();
  const fns = new Map<string, { owner: string; us: number }>();
  const inclusive = new Map<string, number>();
  profile.samples.forEach((id, i) => {
    const us = profile.timeDeltas[i] ?? 0;
    total += us;
    const node = byId.get(id)!;
    if (node.callFrame.functionName === '(idle)') {
      idle += us;
      return;
    }
    const frame = frameOf(id);
    owners.set(frame.owner, (owners.get(frame.owner) ?? 0) + us);
    const entry = fns.get(frame.fn) ?? { owner: frame.owner, us: 0 };
    entry.us += us;
    fns.set(frame.fn, entry);
    const seen = new Set<string>();
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      const f = frameOf(at);
      if (f.owner.startsWith('ours') && !seen.has(f.fn)) {
        seen.add(f.fn);
        inclusive.set(f.fn, (inclusive.get(f.fn) ?? 0) + us);
      }
    }
  });
  const busy = total - idle;
  return {
    totalMs: total / 1000,
    idleMs: idle / 1000,
    byOwner: [...owners]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([owner, us]) => ({ owner, ms: us / 1000, share: us / busy })),
    byFunction: [...fns]
      .sort((a, b) => b[1].us - a[1].us)
      .slice(0, top)
      .map(([fn, { owner, us }]) => ({ fn, owner, ms: us / 1000, share: us / busy })),
    oursInclusive: [...inclusive]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([fn, us]) => ({ fn, ms: us / 1000, share: us / busy })),
  };
}

/** The profile as markdown (shares are of the busy, non-idle time). */
export function profileMarkdown(summary: ProfileSummary, top = 10): string {
  const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
  const busy = summary.totalMs - summary.idleMs;
  const code = (s: string) => `\`${s.replace(/\|/g, '\\|')}\``;
  return [
    `CPU busy ${Math.round(busy)} ms of ${Math.round(summary.totalMs)} ms sampled. Self time by owner:`,
    '',
    '| owner | self ms | share of busy |',
    '| --- | --- | --- |',
    ...summary.byOwner.slice(0, top).map((o) => `| ${o.owner} | ${Math.round(o.ms)} | ${pct(o.share)} |`),
    '',
    'Hottest functions (self time):',
    '',
    '| function | owner | self ms | share |',
    '| --- | --- | --- | --- |',
    ...summary.byFunction.slice(0, top).map((f) => `| ${code(f.fn)} | ${f.owner} | ${Math.round(f.ms)} | ${pct(f.share)} |`),
    '',
    'Our functions by inclusive time (their own code and everything they call synchronously):',
    '',
    '| function | inclusive ms | share |',
    '| --- | --- | --- |',
    ...summary.oursInclusive.slice(0, top).map((f) => `| ${code(f.fn)} | ${Math.round(f.ms)} | ${pct(f.share)} |`),
  ].join('\n');
}

// CLI: node --import tsx bench/lib/profile.ts <file.cpuprofile> [top]
if (process.argv[1]?.endsWith('profile.ts') && process.argv[2]) {
  const top = Number(process.argv[3] ?? 25);
  console.log(profileMarkdown(summarizeProfile(process.argv[2], top), top));
}
