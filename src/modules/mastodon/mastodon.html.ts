import { textEntities } from '../feed/index.js';

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
const escape = (text: string) => text.replace(/[&<>"']/g, (c) => ESCAPES[c]!);
const URL_PATTERN = /https?:\/\/[^\s<>"']+[^\s<>"'.,;:!?)\]]/g;

/** How a mention links: the account's page, when the name is a user here. */
export type MentionLink = (name: string) => string | undefined;

function linkUrls(text: string): string {
  let out = '';
  let at = 0;
  for (const m of text.matchAll(URL_PATTERN)) {
    out += escape(text.slice(at, m.index));
    const url = escape(m[0]);
    out += `<a href="${url}" rel="nofollow noopener noreferrer" target="_blank">${url}</a>`;
    at = m.index + m[0].length;
  }
  return out + escape(text.slice(at));
}

/**
 * A tweet's text as Mastodon's `content`: escaped HTML, paragraphs on blank lines and `<br />` on
 * line breaks, links for URLs, `@mentions` of existing users (Mastodon's h-card markup) and
 * `#hashtags`. Nothing of the text is ever markup.
 */
export function statusHtml(text: string, publicUrl: string, mentionUrl: MentionLink): string {
  const entities = textEntities(text);
  let body = '';
  let at = 0;
  for (const e of entities) {
    if (e.start < at) continue;
    body += linkUrls(text.slice(at, e.start));
    if (e.kind === 'hashtag') {
      body += `<a href="${escape(`${publicUrl}/tags/${encodeURIComponent(e.name.toLowerCase())}`)}" class="mention hashtag" rel="tag">#<span>${escape(e.name)}</span></a>`;
    } else {
      const href = mentionUrl(e.name.toLowerCase());
      body += href === undefined ? escape(text.slice(e.start, e.end)) : `<span class="h-card"><a href="${escape(href)}" class="u-url mention">@<span>${escape(e.name)}</span></a></span>`;
    }
    at = e.end;
  }
  body += linkUrls(text.slice(at));
  return body
    .split(/\n{2,}/)
    .map((p) => `<p>${p.replace(/\n/g, '<br />')}</p>`)
    .join('');
}
