/** A click as it travels through the queue (one message carries a batch of these). */
export interface QueuedClick {
  id: string;
  code: string;
  at: number;
  ip: string;
  ua: string;
  ref: string;
  head: boolean;
}

/** The payload of a message on the `clicks` topic. */
export interface ClickBatch {
  clicks: QueuedClick[];
}

export const CLICKS_TOPIC = 'clicks';
