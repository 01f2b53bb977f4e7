import { describe, expect, it } from 'vitest';
import { QrRenderer } from './qr-renderer.js';

describe('QrRenderer', () => {
  it('draws SVG and PNG, snapping widths to multiples of 64 up to 1024', async () => {
    const qr = new QrRenderer({ budgetMsPerSecond: 1_000 });
    const svg = await qr.render('http://sho.rt/abc', 'svg', 256);
    expect(svg.type).toBe('image/svg+xml');
    expect(svg.body.toString()).toContain('<svg');
    const png = await qr.render('http://sho.rt/abc', 'png', 2048);
    expect(png.type).toBe('image/png');
    // PNG IHDR: width at bytes 16..19.
    expect(png.body.readUInt32BE(16)).toBe(1024);
    expect(QrRenderer.width(100)).toBe(128);
    expect(QrRenderer.width(64)).toBe(64);
    expect(QrRenderer.width(2000)).toBe(1024);
  });

  it('answers cached images whatever the budget, and refuses new renders past it until it refills', async () => {
    let now = 0;
    const qr = new QrRenderer({ budgetMsPerSecond: 100, burstMs: 100, now: () => now });
    const first = await qr.render('http://sho.rt/cached', 'png', 256);
    // Each render below is charged as if it took 60 ms.
    const charged = new QrRenderer({ budgetMsPerSecond: 100, burstMs: 100, now: () => now });
    const slowRender = async (text: string) => {
      const started = now;
      const promise = charged.render(text, 'png', 256);
      now = started + 60;
      return promise;
    };
    await slowRender('http://sho.rt/a');
    await slowRender('http://sho.rt/b');
    // 100 - 120 < 0: spent.
    await expect(charged.render('http://sho.rt/c', 'png', 256)).rejects.toMatchObject({ status: 503, code: 'qr_busy', headers: { 'retry-after': '1' } });
    // Cached images are still answered.
    expect((await charged.render('http://sho.rt/a', 'png', 256)).type).toBe('image/png');
    expect(await qr.render('http://sho.rt/cached', 'png', 256)).toBe(first);
    now += 1_000;
    expect((await charged.render('http://sho.rt/c', 'png', 256)).type).toBe('image/png');
  });
});
