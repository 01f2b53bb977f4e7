import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { serverCommand } from '../cluster/cluster-process.js';
import { SERVER_NODE_FLAGS } from './node-flags.js';

describe('the Node.js options of a serving process', () => {
  it('are those of npm start and of the local cluster, given before the script', () => {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { scripts: Record<string, string> };
    expect(pkg.scripts.start).toBe(['node', ...SERVER_NODE_FLAGS, 'dist/server.js'].join(' '));
    const { args } = serverCommand();
    const script = args.findIndex((a) => /server\.[jt]s$/.test(a));
    expect(args.slice(0, SERVER_NODE_FLAGS.length)).toEqual(SERVER_NODE_FLAGS);
    expect(script).toBeGreaterThanOrEqual(SERVER_NODE_FLAGS.length);
  });

  it('are options this Node.js accepts', () => {
    // node refuses an unknown option at start: an option a newer or older Node.js dropped shows here.
    for (const flag of SERVER_NODE_FLAGS) expect(process.allowedNodeEnvironmentFlags.has(flag.split('=')[0]!), flag).toBe(true);
  });
});
