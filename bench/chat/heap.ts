/**
 * Where the heap of held connections goes: two V8 heap snapshots (.heapsnapshot, taken by
 * memory-probe.mjs before and after the connections opened, each after a full GC) compared by
 * node type and constructor name, self size. Only for a moderate number of connections: a snapshot
 * of a big heap takes seconds per 100 MB, stalling the server meanwhile.
 */
import { readFileSync } from 'node:fs';

interface Snapshot {
  snapshot: { meta: { node_fields: string[]; node_types: [string[], ...unknown[]] } };
  nodes: number[];
  strings: string[];
}

/** Self size (bytes) and count per "type name" key. */
function bySize(file: string): Map<string, { bytes: number; count: number }> {
  const s = JSON.parse(readFileSync(file, 'utf8')) as Snapshot;
  const fields = s.snapshot.meta.node_fields;
  const width = fields.length;
  const [typeAt, nameAt, sizeAt] = ['type', 'name', 'self_size'].map((f) => fields.indexOf(f)) as [number, number, number];
  const types = s.snapshot.meta.node_types[0];
  const out = new Map<string, { bytes: number; count: number }>();
  for (let i = 0; i < s.nodes.length; i += width) {
    const type = types[s.nodes[i + typeAt]!]!;
    // Strings and code by kind; objects by constructor name.
    const name = ['string', 'concatenated string', 'sliced string', 'code', 'number'].includes(type) ? '' : s.strings[s.nodes[i + nameAt]!]!;
    const key = `${type} ${name}`.trim();
    const entry = out.get(key) ?? { bytes: 0, count: 0 };
    entry.bytes += s.nodes[i + sizeAt]!;
    entry.count++;
    out.set(key, entry);
  }
  return out;
}

/** The largest growths between two snapshots: [key, bytes, count] per connection, largest first. */
export function heapGrowth(before: string, after: string, connections: number, top = 15): [string, number, number][] {
  const a = bySize(before);
  const b = bySize(after);
  const rows: [string, number, number][] = [];
  for (const [key, v] of b) {
    const was = a.get(key) ?? { bytes: 0, count: 0 };
    rows.push([key, (v.bytes - was.bytes) / connections, (v.count - was.count) / connections]);
  }
  return rows.sort((x, y) => y[1] - x[1]).slice(0, top);
}
