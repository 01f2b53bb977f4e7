import { AppError } from '../errors/index.js';

/**
 * What no free-text field may hold: control characters (C0, DEL, C1; NUL among them, which
 * PostgreSQL refuses in text and which truncates strings in C tools), lone surrogates (not
 * representable in UTF-8: they would come back as U+FFFD), bidirectional overrides and isolates
 * (they reorder what a reader sees, "Trojan Source"), and the non-characters U+FFFE and U+FFFF.
 * Multi-line fields may hold line feeds and tabs.
 */
const FORBIDDEN = /[\p{Cc}\p{Cs}\u202A-\u202E\u2066-\u2069\uFFFE\uFFFF]/u;
// eslint-disable-next-line no-control-regex -- control characters are what it refuses
const FORBIDDEN_MULTILINE = /[\0-\x08\x0B-\x1F\x7F-\x9F\p{Cs}\u202A-\u202E\u2066-\u2069\uFFFE\uFFFF]/u;

/** The rules of one free-text field. */
export interface TextRules {
  /** Where the field is, for the problem's `errors[].field` (`/name`, `/q`). */
  field: string;
  /** What the field is, in the message ("A key name"). */
  label: string;
  /** Most code points after normalisation and trimming (an emoji is one, whatever its UTF-16 length). */
  maxLength: number;
  /** Fewest code points (default 1: blank is refused). */
  minLength?: number;
  /** Line feeds and tabs allowed (default false). */
  multiline?: boolean;
  /** The field's published error code, when it had one before the policy (the message still says why). */
  code?: string;
}

/** A free-text field broke the policy: 400 with a stable code per reason and the field named. */
export class TextPolicyError extends AppError {
  constructor(code: string, message: string, field: string) {
    super(code, 400, message, { extensions: { errors: [{ field, message }] } });
  }
}

const codePoint = (ch: string) => `U+${ch.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`;

/**
 * The one text policy of the API: the value as stored (NFC-normalised, so that "é" typed either
 * way compares and counts once; trimmed), or a TextPolicyError saying which character or length is
 * wrong. Every free-text field (key names, search queries, login names...) goes through it.
 */
export function cleanText(raw: string, rules: TextRules): string {
  const bad = (rules.multiline === true ? FORBIDDEN_MULTILINE : FORBIDDEN).exec(raw);
  if (bad !== null) throw new TextPolicyError(rules.code ?? 'text_invalid', `${rules.label} may not hold the invisible or control character ${codePoint(bad[0])}`, rules.field);
  const text = raw.normalize('NFC').trim();
  let length = 0;
  for (const _ of text) length++;
  const min = rules.minLength ?? 1;
  if (length < min) throw new TextPolicyError(rules.code ?? 'text_empty', min === 1 ? `${rules.label} may not be blank` : `${rules.label} has at least ${min} characters`, rules.field);
  if (length > rules.maxLength) throw new TextPolicyError(rules.code ?? 'text_too_long', `${rules.label} has at most ${rules.maxLength} characters; this one has ${length}`, rules.field);
  return text;
}

/** Whether `raw` holds a character no free-text field may (see cleanText). */
export function hasForbiddenCharacters(raw: string, multiline = false): boolean {
  return (multiline ? FORBIDDEN_MULTILINE : FORBIDDEN).test(raw);
}
