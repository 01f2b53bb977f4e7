import { describe, expect, it } from 'vitest';
import { cleanText, hasForbiddenCharacters, TextPolicyError } from './text-policy.js';

const rules = { field: 'body/name', label: 'A name', maxLength: 5 };
const problem = (raw: string, r = rules) => {
  try {
    cleanText(raw, r);
    return 'accepted';
  } catch (error) {
    if (!(error instanceof TextPolicyError)) throw error;
    return `${error.code} ${error.status}`;
  }
};

describe('the text policy', () => {
  it('normalises to NFC, trims, and counts code points (an emoji is one)', () => {
    expect(cleanText('  cafe\u0301 ', rules)).toBe('café');
    expect(cleanText('🙂🙂🙂🙂🙂', rules)).toBe('🙂🙂🙂🙂🙂');
    expect(problem('🙂🙂🙂🙂🙂🙂')).toBe('text_too_long 400');
    expect(cleanText('e\u0301e\u0301e\u0301e\u0301e\u0301', rules)).toHaveLength(5);
  });

  it('refuses blank values unless allowed', () => {
    expect(problem('   ')).toBe('text_empty 400');
    expect(cleanText(' ', { ...rules, minLength: 0 })).toBe('');
  });

  it('refuses NUL, other controls, lone surrogates, bidi overrides and non-characters, naming the code point', () => {
    for (const ch of ['\u0000', '\u0007', '\u001b', '\u007f', '\u0085', '\u009f', '\ud800', '\udfff', '\u202e', '\u2066', '\u2069', '\ufffe', '\uffff', '\n', '\t']) {
      expect(problem(`a${ch}b`), JSON.stringify(ch)).toBe('text_invalid 400');
    }
    expect(() => cleanText('a\u0000', rules)).toThrow(/U\+0000/);
  });

  it('keeps a field\'s published code when it has one', () => {
    const named = { ...rules, code: 'api_key_name_invalid' };
    for (const raw of ['', 'a\u0000', 'x'.repeat(6)]) expect(problem(raw, named)).toBe('api_key_name_invalid 400');
  });

  it('lets a multi-line field keep line feeds and tabs, and nothing else of the above', () => {
    const multiline = { ...rules, maxLength: 20, multiline: true };
    expect(cleanText('one\n\ttwo', multiline)).toBe('one\n\ttwo');
    expect(problem('one\r\n', multiline)).toBe('text_invalid 400');
    expect(problem('a\u0000', multiline)).toBe('text_invalid 400');
  });

  it('accepts what people write: accents, CJK, emoji with joiners and flags, right-to-left text', () => {
    const wide = { ...rules, maxLength: 40 };
    for (const text of ['Zoë', '東京', '👩‍💻 laptop', '🇫🇷', 'שלום עולם', 'مرحبا']) expect(cleanText(text, wide)).toBe(text.normalize('NFC'));
    expect(hasForbiddenCharacters('👩‍💻')).toBe(false);
  });
});
