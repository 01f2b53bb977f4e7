import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtempSync, readFileSync, existsSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { eventually } from './testing/helpers.js';

const CHILD = fileURLToPath(new URL('./testing/write-behind.child.ts', import.meta.url));
/** Far longer than the test: only a full batch or `close` flushes. */
const NEVER_MS = 600_000;
const BATCH = 50;

/** A write-behind process writing to `file`; `lines` grows with what it prints. */
function start(file: string): { child: ChildProcessWithoutNullStreams; lines: string[]; exited: Promise<number | string> } {
  const child = spawn(process.execPath, ['--import', 'tsx', CHILD, file, String(NEVER_MS), String(BATCH)], { stdio: ['pipe', 'pipe', 'pipe'] });
  // Bounded: a stuck child fails the test instead of hanging it.
  const killer = setTimeout(() => child.kill('SIGKILL'), 25_000);
  const lines: string[] = [];
  let out = '';
  let err = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    out += chunk;
    const parts = out.split('\n');
    out = parts.pop()!;
    lines.push(...parts);
  });
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (err += chunk));
  const exited = new Promise<number | string>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(killer);
      if (code !== 0 && signal !== 'SIGKILL') reject(new Error(`child exited with ${code ?? signal}: ${err}`));
      else resolve(code ?? signal ?? 'unknown');
    });
  });
  return { child, lines, exited };
}

/** What the source file holds: the last value written per key. */
function sourceOf(file: string): Map<string, number> {
  const state = new Map<string, number>();
  if (!existsSync(file)) return state;
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (line === '') continue;
    for (const [key, seq] of JSON.parse(line) as [string, number][]) state.set(key, seq);
  }
  return state;
}

const count = (lines: string[], prefix: string) => lines.filter((l) => l.startsWith(prefix)).length;

describe('WriteBehind in a process that dies', () => {
  let dir: string;
  let file: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'write-behind-'));
    file = join(dir, 'source.jsonl');
  });
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('a crash (SIGKILL, no close) loses only the writes acknowledged since the last flush', async () => {
    const { child, lines, exited } = start(file);
    // A full batch of distinct keys: flushed at once.
    for (let i = 0; i < BATCH; i++) child.stdin.write(`set k${i} ${i + 1}\n`);
    await eventually(() => count(lines, 'ack ') === BATCH && count(lines, 'flushed ') > 0, 'the first batch to reach the file', 20_000);
    // Then writes that stay within one flush window: acknowledged, not yet in the source.
    for (let i = 0; i < 20; i++) child.stdin.write(`set k${i} ${BATCH + i + 1}\n`);
    await eventually(() => count(lines, 'ack ') === BATCH + 20, 'the second writes to be acknowledged', 20_000);
    child.kill('SIGKILL');
    expect(await exited).toBe('SIGKILL');

    const source = sourceOf(file);
    // Everything acknowledged before the flush survived the crash...
    for (let i = 0; i < BATCH; i++) expect([i + 1, BATCH + i + 1]).toContain(source.get(`k${i}`));
    for (let i = 20; i < BATCH; i++) expect(source.get(`k${i}`)).toBe(i + 1);
    // ...and what was lost is exactly the unflushed window: the 20 writes since.
    const lost = Array.from({ length: 20 }, (_, i) => source.get(`k${i}`) !== BATCH + i + 1).filter(Boolean).length;
    expect(lost).toBe(20);
  });

  it('close flushes every acknowledged write before the process exits', async () => {
    const { child, lines, exited } = start(file);
    for (let i = 0; i < 30; i++) child.stdin.write(`set k${i % 10} ${i + 1}\n`);
    await eventually(() => count(lines, 'ack ') === 30, 'the writes to be acknowledged', 20_000);
    expect(count(lines, 'flushed ')).toBe(0);
    child.stdin.write('close\n');
    expect(await exited).toBe(0);
    expect(lines.at(-1)).toBe('closed');
    expect(sourceOf(file)).toEqual(new Map(Array.from({ length: 10 }, (_, k) => [`k${k}`, 21 + k])));
  });
});
