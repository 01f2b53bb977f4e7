import { TweetInputError } from './feed.errors.js';

/** Longest tweet, in Unicode code points after NFC normalisation. */
export const MAX_TWEET_LENGTH = 280;
/** Mentions resolved per tweet (as Twitter's limit); later names are left as text. */
export const MAX_MENTIONS = 50;
/** Longer runs after `#` are text, not tags. */
const MAX_TAG_LENGTH = 100;

// A lone surrogate cannot be stored as UTF-8 (it would come back as U+FFFD); NUL is refused by PostgreSQL.
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
// What shows: anything but white space, controls, format characters (zero-width spaces and
// joiners, bidi controls such as U+202E, U+FEFF), lone combining marks, and the fillers and blanks
// that render as nothing (Hangul fillers, the Braille blank).
const VISIBLE = /[^\s\p{Cc}\p{Cf}\p{Mn}\p{Me}\u115F\u1160\u3164\uFFA0\u2800]/u;
// `@name` not inside a word or an email address; names are accounts' `[a-z0-9_]{3,30}`, any case.
const MENTION = /(?<![\p{L}\p{M}\p{N}_@.])@([a-z0-9_]{3,30})(?![a-z0-9_])/giu;
// `#tag` not inside a word (`C#`, `a#b`, `&#39;`); letters, marks, digits, underscore.
const HASHTAG = /(?<![\p{L}\p{M}\p{N}_&#])#([\p{L}\p{M}\p{N}_]+)/gu;

/**
 * The text as stored: NFC-normalised (so "é" typed either way counts once and compares equal),
 * then checked: at least one visible character (not only spaces, zero-width or bidi controls), at most 280 code points (an emoji is one, whatever its UTF-16 length),
 * storable. Throws a 400 with a stable code otherwise.
 */
export function normalizeTweetText(raw: string): string {
  const text = raw.normalize('NFC');
  if (!VISIBLE.test(text)) throw new TweetInputError('tweet_empty', 'A tweet needs some visible text', '/text');
  let length = 0;
  for (const _ of text) length++;
  if (length > MAX_TWEET_LENGTH) {
    throw new TweetInputError('tweet_too_long', `A tweet has at most ${MAX_TWEET_LENGTH} characters; this one has ${length}`, '/text');
  }
  if (LONE_SURROGATE.test(text) || text.includes('\u0000')) throw new TweetInputError('tweet_text_invalid', 'The text holds a lone surrogate or a NUL character', '/text');
  return text;
}

/** The distinct user names mentioned, lower-case, in order of appearance (at most MAX_MENTIONS). */
export function mentionedNames(text: string): string[] {
  const names = new Set<string>();
  for (const match of text.matchAll(MENTION)) {
    if (names.size === MAX_MENTIONS) break;
    names.add(match[1]!.toLowerCase());
  }
  return [...names];
}

/** The distinct hashtags, lower-case, without '#', in order of appearance; all-digit runs are not tags. */
export function hashtagsOf(text: string): string[] {
  const tags = new Set<string>();
  for (const match of text.matchAll(HASHTAG)) {
    const tag = match[1]!.toLowerCase();
    if (/^[0-9_]+$/.test(tag) || [...tag].length > MAX_TAG_LENGTH) continue;
    tags.add(tag);
  }
  return [...tags];
}

/** A mention or hashtag in a text, where it is (UTF-16 offsets) and its name as written. */
export interface TextEntity {
  kind: 'mention' | 'hashtag';
  start: number;
  end: number;
  name: string;
}

/** Mentions and hashtags by the same rules as the feed's, in text order (for rendering them as links). */
export function textEntities(text: string): TextEntity[] {
  const found: TextEntity[] = [];
  for (const m of text.matchAll(MENTION)) found.push({ kind: 'mention', start: m.index, end: m.index + m[0].length, name: m[1]! });
  for (const m of text.matchAll(HASHTAG)) if (!/^[0-9_]+$/.test(m[1]!) && [...m[1]!].length <= MAX_TAG_LENGTH) found.push({ kind: 'hashtag', start: m.index, end: m.index + m[0].length, name: m[1]! });
  return found.sort((a, b) => a.start - b.start);
}
