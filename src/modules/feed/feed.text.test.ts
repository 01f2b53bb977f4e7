import { describe, expect, it } from 'vitest';
import { parseId } from './feed.ids.js';
import { hashtagsOf, mentionedNames, normalizeTweetText } from './feed.text.js';

describe('tweet text', () => {
  it('counts code points after NFC: 280 emoji (560 UTF-16 units) pass, 281 do not', () => {
    expect(normalizeTweetText('😀'.repeat(280))).toHaveLength(560);
    expect(() => normalizeTweetText('😀'.repeat(281))).toThrow(expect.objectContaining({ code: 'tweet_too_long', status: 400 }));
  });

  it('normalises to NFC before counting, and stores the normalised text', () => {
    const decomposed = 'e\u0301'.repeat(280);
    expect(decomposed.length).toBe(560);
    expect(normalizeTweetText(decomposed)).toBe('\u00e9'.repeat(280));
  });

  it('refuses empty, blank and unstorable text with stable codes', () => {
    expect(() => normalizeTweetText('')).toThrow(expect.objectContaining({ code: 'tweet_empty' }));
    expect(() => normalizeTweetText(' \n\t ')).toThrow(expect.objectContaining({ code: 'tweet_empty' }));
    // Only invisible characters: a bidi override, zero-width space and joiner, BOM, a Hangul filler, a lone combining mark.
    for (const invisible of ['\u202E', '\u200B', '\u200B\u200D \uFEFF', '\u3164', '\u0301', '\u2800\u2066']) {
      expect(() => normalizeTweetText(invisible)).toThrow(expect.objectContaining({ code: 'tweet_empty' }));
    }
    // Visible text may carry them (right-to-left text needs bidi marks).
    expect(normalizeTweetText('\u202Eabc')).toBe('\u202Eabc');
    expect(normalizeTweetText('שלום\u200F!')).toBe('שלום\u200F!');
    expect(() => normalizeTweetText('half a pair \uD83D')).toThrow(expect.objectContaining({ code: 'tweet_text_invalid' }));
    expect(() => normalizeTweetText('nul \u0000 inside')).toThrow(expect.objectContaining({ code: 'tweet_text_invalid' }));
  });

  it('finds mentions once each, lower-case, not inside words or email addresses', () => {
    expect(mentionedNames('@Alice and @bob_1, again @alice; mail carol@example.com, x@ab, @zz too short, @ok_name.')).toEqual(['alice', 'bob_1', 'ok_name']);
  });

  it('finds hashtags once each, lower-case, with letters of any script, not all digits, not inside words', () => {
    expect(hashtagsOf('#TypeScript #typescript #Café #日本語 #2026 C# a#b #_x &#39; #über_alles!')).toEqual(['typescript', 'café', '日本語', '_x', 'über_alles']);
  });
});

describe('ids', () => {
  it('parses decimal ids within a signed 64-bit integer only', () => {
    expect(parseId('9223372036854775807')).toBe(9223372036854775807n);
    expect(parseId('9223372036854775808')).toBeNull();
    expect(parseId('12345678901234567890')).toBeNull();
    for (const bad of ['', '-1', '1e3', ' 1', '0x10', '1.0']) expect(parseId(bad)).toBeNull();
  });
});
