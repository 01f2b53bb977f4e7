import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { dirname, join, normalize } from 'node:path';
import { describe, expect, it } from 'vitest';
import { configTable } from '../src/config/config.docs.js';

const read = (file: string) => readFileSync(file, 'utf8');
const DOCS = readdirSync('docs').filter((f) => f.endsWith('.md')).map((f) => join('docs', f));
const PAGES = ['README.md', ...DOCS];
const scripts = Object.keys((JSON.parse(read('package.json')) as { scripts: Record<string, string> }).scripts);

/** Relative link targets of a Markdown page, without their anchors. */
function relativeLinks(text: string): string[] {
  return [...text.matchAll(/\]\(([^)\s]+)\)/g)].map((m) => m[1]!).filter((t) => !/^(https?:|mailto:|#)/.test(t)).map((t) => t.split('#')[0]!);
}

describe('README and docs/', () => {
  const readme = read('README.md');

  it('the README gives the two commands, the tested Node versions, and a link to every page of docs/', () => {
    expect(readme).toContain('npm install && npm start');
    expect(readme).toContain('npm test');
    expect(readme).toMatch(/Node 20.*Node 24.*Node 26/s);
    expect(readme).toContain(JSON.parse(read('package.json')).engines.node);
    for (const page of DOCS) expect(readme, page).toContain(`](${page})`);
  });

  it('documents every configuration variable as the schema defines it', () => {
    expect(read('docs/operations.md')).toContain(configTable());
  });

  it('links only to files that exist', () => {
    for (const page of PAGES) {
      for (const target of relativeLinks(read(page))) {
        expect(existsSync(normalize(join(dirname(page), target))), `${page} links to ${target}`).toBe(true);
      }
    }
  });

  it('names only files, tests and npm scripts that exist (the concept map stays true)', () => {
    for (const page of PAGES) {
      const text = read(page);
      for (const [, path] of text.matchAll(/`((?:src|test|bench|scripts|web|docs|\.ci)\/[\w./-]*)`/g)) {
        expect(existsSync(path!.replace(/\/$/, '')), `${page} names ${path}`).toBe(true);
      }
      for (const [, script] of text.matchAll(/npm run (?:-s )?([\w:-]+)/g)) expect(scripts, `${page} runs npm run ${script}`).toContain(script);
    }
  });

  it('maps every part of the cheat sheet in the concept map', () => {
    const map = read('docs/concept-map.md');
    for (const part of ['Fundamentals', 'Scalability', 'Databases', 'Caching', 'Load balancing', 'Message queues', 'Security', 'Case studies']) expect(map).toContain(`## ${part}`);
    for (const concept of ['CAP', 'ACID vs BASE', 'Read replicas', 'Sharding', 'SQL vs NoSQL', 'Indexing', 'Cache-aside', 'Read-through', 'Write-through', 'Write-behind', 'Write-around', 'Pub/sub', 'Competing consumers', 'Request-reply', 'Dead-letter queue', 'JWT', 'OAuth', 'Security headers', 'URL shortener', 'Twitter']) {
      expect(map, concept).toContain(concept);
    }
  });
});
