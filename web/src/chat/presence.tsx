import { relativeTime } from '../feed/tweet.js';
import type { Presence } from './types.js';

/** "online", "away", "last seen 5 min. ago"; empty while nothing is known. */
export function presenceText(presence: Presence | undefined, now: number): string {
  if (presence === undefined) return '';
  if (presence.status === 'online') return 'online';
  if (presence.status === 'away') return 'away';
  return presence.lastSeen === null ? 'offline' : `last seen ${relativeTime(presence.lastSeen, now)}`;
}

/** A coloured dot for someone's presence (its meaning is in the text beside it, for screen readers too). */
export function PresenceDot({ presence }: { presence: Presence | undefined }) {
  return <span className={`chat-dot chat-dot-${presence?.status ?? 'unknown'}`} aria-hidden="true" />;
}
