import fs from 'node:fs';

/**
 * Compares two V8 heap snapshots: what the objects added between them are, by kind and
 * constructor, in count and self size. bench/fanout.ts uses it to say what an idle SSE stream
 * keeps in the server's heap.
 */

interface Snapshot {
  snapshot: { meta: { node_fields: string[]; node_types: [string[], ...unknown[]] } };
  nodes: number[];
  strings: string[];
}

export function heapByConstructor(file: string): Map<string, { count: number; size: number }> {
  const snap = JSON.parse(fs.readFileSync(file, 'utf8')) as Snapshot;
  const fields = snap.snapshot.meta.node_fields;
  const types = snap.snapshot.meta.node_types[0];
  const stride = fields.length;
  const typeAt = fields.indexOf('type');
  const nameAt = fields.indexOf('name');
  const sizeAt = fields.indexOf('self_size');
  const out = new Map<string, { count: number; size: number }>();
  for (let i = 0; i < snap.nodes.length; i += stride) {
    const type = types[snap.nodes[i + typeAt]!]!;
    const rawName = snap.strings[snap.nodes[i + nameAt]!] ?? '';
    const name = type === 'object' || type === 'closure' || type === 'native' ? rawName.slice(0, 60) : '';
    const key = `${type}${name ? `: ${name}` : ''}`;
    const entry = out.get(key) ?? { count: 0, size: 0 };
    entry.count++;
    entry.size += snap.nodes[i + sizeAt]!;
    out.set(key, entry);
  }
  return out;
}

/** The heap growth between two snapshots per added unit (e.g. per stream), largest first. */
export function heapGrowth(
  before: string,
  after: string,
  units: number,
  top = 25,
): Array<{ what: string; perUnitCount: number; perUnitBytes: number }> {
  const a = heapByConstructor(before);
  const b = heapByConstructor(after);
  const rows: Array<{ what: string; perUnitCount: number; perUnitBytes: number }> = [];
  for (const [key, { count, size }] of b) {
    const base = a.get(key) ?? { count: 0, size: 0 };
    rows.push({ what: key, perUnitCount: (count - base.count) / units, perUnitBytes: (size - base.size) / units });
  }
  return rows.sort((x, y) => y.perUnitBytes - x.perUnitBytes).slice(0, top);
}

// CLI: node --import tsx bench/lib/heap.ts <before.heapsnapshot> <after.heapsnapshot> <units>
if (process.argv[1]?.endsWith('heap.ts') && process.argv[4]) {
  const rows = heapGrowth(process.argv[2]!, process.argv[3]!, Number(process.argv[4]), 40);
  const total = rows.reduce((s, r) => s + r.perUnitBytes, 0);
  for (const r of rows) console.log(`${r.perUnitBytes.toFixed(0).padStart(8)} B  ${r.perUnitCount.toFixed(2).padStart(7)}  ${r.what}`);
  console.log(`top rows total ${(total / 1024).toFixed(1)} KB per unit`);
}
