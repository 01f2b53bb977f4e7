import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { configTable } from '../src/config/config.docs.js';

describe('README', () => {
  const readme = readFileSync('README.md', 'utf8');

  it('documents every configuration variable as the schema defines it', () => {
    expect(readme).toContain(configTable());
  });

  it('gives the two commands', () => {
    expect(readme).toContain('npm install && npm start');
    expect(readme).toContain('npm test');
  });
});
