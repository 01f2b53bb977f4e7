import { cleanText } from '../../shared/text/index.js';
import { MAX_MESSAGE_LENGTH, MAX_TITLE_LENGTH } from './chat.model.js';

/** Most distinct names a message resolves as mentions; later ones stay text. */
export const MAX_MENTIONS = 50;

// `@name` not inside a word or an email address; names are accounts' `[a-z0-9_]{3,30}`, any case.
const MENTION = /(?<![\p{L}\p{M}\p{N}_@.])@([a-z0-9_]{3,30})(?![a-z0-9_])/giu;

/**
 * A message's text as stored: the API's text policy (no control or bidi characters, line feeds
 * and tabs allowed), NFC, trimmed, 1..4,000 code points. Throws a 400 (`text_empty`,
 * `text_too_long`, `text_invalid`) otherwise.
 */
export function cleanMessageText(raw: string): string {
  return cleanText(raw, { field: '/text', label: 'A message', maxLength: MAX_MESSAGE_LENGTH, multiline: true });
}

/** A group's title as stored: one line, 1..100 code points. */
export function cleanTitle(raw: string): string {
  return cleanText(raw, { field: '/title', label: 'A title', maxLength: MAX_TITLE_LENGTH });
}

/** The distinct names mentioned, lower-case, in order of appearance (at most MAX_MENTIONS). */
export function mentionedNames(text: string): string[] {
  const names = new Set<string>();
  for (const match of text.matchAll(MENTION)) {
    if (names.size === MAX_MENTIONS) break;
    names.add(match[1]!.toLowerCase());
  }
  return [...names];
}
