import type { ColumnType } from 'kysely';

/** The tables the links module owns. */
export interface LinksTable {
  /** The short code (case-sensitive): generated, or the owner's alias. */
  code: string;
  url: string;
  owner_id: string | null;
  /** 301 or 302. */
  redirect: number;
  /** Epoch ms. */
  created_at: number;
  /** Epoch ms; null when the link never expires. */
  expires_at: number | null;
  /** Epoch ms when its owner deleted it; the code stays taken so that it is never reused. */
  deleted_at: number | null;
  /** 1 when the owner made the statistics public; 0 (default): the owner's only. */
  public_stats: ColumnType<number, number | undefined, number>;
}

export interface LinksTables {
  links: LinksTable;
}
