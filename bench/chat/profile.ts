/**
 * A summary of a V8 CPU profile (.cpuprofile) of the chat server: self time by where the code
 * lives (a Blueprint directory, a package, Node's internals, JSON, GC, idle), native frames counted
 * as their caller's, and the hottest functions.
 */
import { readFileSync } from 'node:fs';

interface Node {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  nodes: Node[];
  samples: number[];
  timeDeltas: number[];
}

function place(functionName: string, url: string): string | undefined {
  if (functionName === '(idle)') return 'idle (waiting for I/O or timers)';
  if (functionName === '(garbage collector)') return 'garbage collector';
  if (functionName === '(program)' || functionName === '(root)') return 'V8/native, unattributed';
  if (url === '') return ['stringify', 'parse'].includes(functionName) ? 'JSON.stringify / JSON.parse' : undefined;
  const blueprint = /\/(?:dist|src)\/((?:modules|platform)\/[^/]+|[^/]+)\//.exec(url);
  if (blueprint && !url.includes('/node_modules/')) return `Blueprint ${blueprint[1]}`;
  const pkg = /\/node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(url);
  if (pkg) return pkg[1] === 'ws' ? 'ws (frames, sockets)' : `package ${pkg[1]}`;
  if (url.startsWith('node:')) return `Node.js ${url.slice(5).replace(/^internal\//, '').split('/')[0]}`;
  return `other ${url.split('/').slice(-2).join('/')}`;
}

/** Self time (ms) per place and per function, largest first, and the profile's total. */
export function summarizeChatProfile(file: string, top = 12): { totalMs: number; places: [string, number][]; functions: [string, number][] } {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const memo = new Map<number, string>();
  const placeOf = (id: number): string => {
    const known = memo.get(id);
    if (known !== undefined) return known;
    const { functionName, url } = byId.get(id)!.callFrame;
    const up = parent.get(id);
    const p = place(functionName, url) ?? (up === undefined ? 'native' : placeOf(up));
    memo.set(id, p);
    return p;
  };
  const places = new Map<string, number>();
  const functions = new Map<string, number>();
  let totalMs = 0;
  for (let i = 0; i < profile.samples.length; i++) {
    const id = profile.samples[i]!;
    const ms = (profile.timeDeltas[i] ?? 0) / 1000;
    totalMs += ms;
    const node = byId.get(id);
    if (node === undefined) continue;
    const p = placeOf(id);
    places.set(p, (places.get(p) ?? 0) + ms);
    const { functionName, url, lineNumber } = node.callFrame;
    if (functionName.startsWith('(')) continue;
    const name = `${functionName || '(anonymous)'} ${url.split('/').slice(-2).join('/')}:${lineNumber + 1}`;
    functions.set(name, (functions.get(name) ?? 0) + ms);
  }
  const sorted = (m: Map<string, number>) => [...m].sort((a, b) => b[1] - a[1]).slice(0, top);
  return { totalMs, places: sorted(places), functions: sorted(functions) };
}
