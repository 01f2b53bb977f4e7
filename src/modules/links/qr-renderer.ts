import { LRUCache } from 'lru-cache';
import QRCode from 'qrcode';
import { ServiceUnavailableError } from '../../shared/errors/index.js';

export interface QrRendererOptions {
  /** Milliseconds of rendering allowed per second, on average (QR_RENDER_BUDGET_MS)... */
  budgetMsPerSecond: number;
  /** ...and at most this much at once after a quiet spell (default: one second's worth). */
  burstMs?: number;
  /** Bytes of rendered images remembered (default 8 MiB). */
  cacheBytes?: number;
  /** Monotonic milliseconds (tests move it). */
  now?: () => number;
}

export type QrFormat = 'svg' | 'png';

/** One rendered image. */
export interface QrImage {
  type: 'image/svg+xml' | 'image/png';
  body: Buffer;
}

/**
 * QR codes of short URLs, with what keeps an anonymous route from becoming a way to stall the
 * server: rendering is synchronous CPU on the event loop (a 2048-pixel PNG took 0.45 s; four at
 * once held /healthz for 1.75 s), so
 * - images are remembered (LRU by bytes): a code's image is rendered once, not per request;
 * - widths snap to multiples of 64 up to 1024, so varying `size` cannot defeat the cache and no
 *   single render costs more than about a tenth of a second;
 * - renders spend a CPU budget (a token bucket of milliseconds measured around each render):
 *   past it, misses answer 503 `qr_busy` with Retry-After until it refills, while cached images
 *   and every other route are served. The event loop spends at most that share of its time here.
 */
export class QrRenderer {
  readonly #o: Required<Omit<QrRendererOptions, 'now'>> & { now: () => number };
  readonly #cache: LRUCache<string, QrImage>;
  #tokens: number;
  #refilledAt: number;

  constructor(options: QrRendererOptions) {
    this.#o = {
      budgetMsPerSecond: options.budgetMsPerSecond,
      burstMs: options.burstMs ?? options.budgetMsPerSecond,
      cacheBytes: options.cacheBytes ?? 8 * 1024 * 1024,
      now: options.now ?? (() => performance.now()),
    };
    this.#cache = new LRUCache({ maxSize: this.#o.cacheBytes, sizeCalculation: (image) => image.body.length + 64 });
    this.#tokens = this.#o.burstMs;
    this.#refilledAt = this.#o.now();
  }

  /** The width actually drawn for a requested PNG width. */
  static width(requested: number): number {
    return Math.min(1024, Math.max(64, Math.round(requested / 64) * 64));
  }

  /** The image of `text`; throws 503 `qr_busy` when it is not cached and the budget is spent. */
  async render(text: string, format: QrFormat, requestedWidth: number): Promise<QrImage> {
    const width = format === 'png' ? QrRenderer.width(requestedWidth) : 0;
    const key = `${format}:${width}:${text}`;
    const cached = this.#cache.get(key);
    if (cached !== undefined) return cached;
    this.#refill();
    if (this.#tokens <= 0) {
      const waitS = Math.max(1, Math.ceil(-this.#tokens / this.#o.budgetMsPerSecond));
      throw new ServiceUnavailableError('Too many QR codes are being drawn; retry shortly (cached ones are served)', 'qr_busy', waitS);
    }
    const started = this.#o.now();
    const image: QrImage =
      format === 'png'
        ? { type: 'image/png', body: await QRCode.toBuffer(text, { type: 'png', width, margin: 2 }) }
        : { type: 'image/svg+xml', body: Buffer.from(await QRCode.toString(text, { type: 'svg', margin: 2 })) };
    this.#tokens -= this.#o.now() - started;
    this.#cache.set(key, image);
    return image;
  }

  #refill(): void {
    const now = this.#o.now();
    this.#tokens = Math.min(this.#o.burstMs, this.#tokens + ((now - this.#refilledAt) / 1000) * this.#o.budgetMsPerSecond);
    this.#refilledAt = now;
  }
}
