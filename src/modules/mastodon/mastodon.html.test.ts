import { describe, expect, it } from 'vitest';
import { statusHtml } from './mastodon.html.js';

const url = 'https://bp.example';
const known = (name: string) => (name === 'ann' ? `${url}/u/ann` : undefined);

describe('statusHtml', () => {
  it('escapes every character of the text that could be markup', () => {
    expect(statusHtml('<b>"x" & \'y\'</b>', url, known)).toBe('<p>&lt;b&gt;&quot;x&quot; &amp; &#39;y&#39;&lt;/b&gt;</p>');
  });

  it('makes paragraphs of blank lines and breaks of line ends', () => {
    expect(statusHtml('one\ntwo\n\nthree', url, known)).toBe('<p>one<br />two</p><p>three</p>');
  });

  it('links known mentions, hashtags and http(s) URLs, and leaves unknown names and other schemes as text', () => {
    const html = statusHtml('@ann @nobody #Tag see https://x.example/a?b=1&c=2. javascript:alert(1)', url, known);
    expect(html).toContain('<span class="h-card"><a href="https://bp.example/u/ann" class="u-url mention">@<span>ann</span></a></span> @nobody');
    expect(html).toContain('<a href="https://bp.example/tags/tag" class="mention hashtag" rel="tag">#<span>Tag</span></a>');
    expect(html).toContain('<a href="https://x.example/a?b=1&amp;c=2" rel="nofollow noopener noreferrer" target="_blank">https://x.example/a?b=1&amp;c=2</a>.');
    expect(html).toContain('javascript:alert(1)');
    expect(html).not.toContain('href="javascript');
  });
});
