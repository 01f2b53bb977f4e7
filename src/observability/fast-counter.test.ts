import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { FastCounter } from './fast-counter.js';

describe('FastCounter', () => {
  it('exposes what was counted, per label set, at every scrape', async () => {
    const registry = new Registry();
    const c = new FastCounter(registry, 'things_total', 'Things.', ['kind', 'result']);
    c.inc(['a', 'ok']);
    c.inc(['a', 'ok']);
    c.inc(['b', 'refused'], 5);
    let text = await registry.metrics();
    expect(text).toContain('things_total{kind="a",result="ok"} 2');
    expect(text).toContain('things_total{kind="b",result="refused"} 5');
    c.inc(['a', 'ok']);
    text = await registry.metrics();
    expect(text).toContain('things_total{kind="a",result="ok"} 3');
  });
});
