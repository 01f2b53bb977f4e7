/** A short link. Times are epoch ms. */
export interface Link {
  code: string;
  url: string;
  ownerId: string | null;
  redirect: 301 | 302;
  createdAt: number;
  expiresAt: number | null;
  /** Whether anyone may read its statistics; otherwise only its owner (a link without owner: anyone). */
  publicStats: boolean;
}

/** What a redirect needs, as kept in the cache. */
export interface LinkTarget {
  url: string;
  redirect: 301 | 302;
  expiresAt: number | null;
}

/** One redirect, as handed to analytics. */
export interface ClickEvent {
  code: string;
  /** Epoch ms. */
  at: number;
  ip: string;
  userAgent: string | undefined;
  referrer: string | undefined;
  head: boolean;
}

/** Where redirects report clicks; must not block (the analytics module buffers them). */
export interface ClickSink {
  record(click: ClickEvent): void;
}
