import { MARK_CLOSE, MARK_OPEN } from './search.engine.js';

/** A matched span of a tweet's text, in UTF-16 code units (JavaScript string indices). */
export interface Highlight {
  start: number;
  end: number;
}

/**
 * The spans between markers of `marked`, as offsets into `text` (the same text without markers).
 * Offsets rather than markup, so that clients never render tweet text as HTML. Undefined when the
 * two do not line up (a tweet containing the marker characters itself): no highlights then.
 */
export function highlightRanges(marked: string, text: string): Highlight[] | undefined {
  const spans: Highlight[] = [];
  let start = -1;
  let j = 0;
  for (let i = 0; i < marked.length; i++) {
    const ch = marked[i]!;
    if (ch === text[j]) {
      j++;
    } else if (ch === MARK_OPEN && start === -1) {
      start = j;
    } else if (ch === MARK_CLOSE && start !== -1) {
      if (j > start) spans.push({ start, end: j });
      start = -1;
    } else {
      return undefined;
    }
  }
  return j === text.length && start === -1 ? spans : undefined;
}
