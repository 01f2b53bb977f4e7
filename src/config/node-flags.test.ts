import { describe, expect, it } from 'vitest';
import { serverCommand } from '../cluster/cluster-process.js';
import { loadConfig } from './index.js';
import { systemdUnit } from '../operations/deploy-examples.js';
import { GATEWAY_NODE_FLAGS, nodeFlagsFor } from './node-flags.js';

describe('the Node.js options of a serving process', () => {
  it('gives a gateway the larger young generation, and API and worker processes V8 defaults', () => {
    expect(nodeFlagsFor('gateway')).toEqual(GATEWAY_NODE_FLAGS);
    expect(nodeFlagsFor(['api', 'gateway'])).toEqual(GATEWAY_NODE_FLAGS);
    expect(nodeFlagsFor('api, worker')).toEqual([]);
    expect(nodeFlagsFor([])).toEqual([]);
  });

  it('are given before the script by the local cluster and the systemd unit', () => {
    const { args } = serverCommand('gateway');
    expect(args.slice(0, GATEWAY_NODE_FLAGS.length)).toEqual(GATEWAY_NODE_FLAGS);
    expect(args.at(-1)).toMatch(/server\.[jt]s$/);
    expect(serverCommand('api').args.some((a) => GATEWAY_NODE_FLAGS.includes(a))).toBe(false);
    const options = { workingDirectory: '/opt/blueprint', node: '/usr/bin/node', user: 'blueprint', environmentFile: '/etc/blueprint/blueprint.env' };
    expect(systemdUnit(loadConfig({ ROLES: 'gateway', GATEWAY_UPSTREAMS: '127.0.0.1:3001' }), options)).toContain(`ExecStart=/usr/bin/node ${GATEWAY_NODE_FLAGS.join(' ')} dist/server.js`);
    expect(systemdUnit(loadConfig({}), options)).toContain('ExecStart=/usr/bin/node dist/server.js');
  });

  it('are options this Node.js accepts', () => {
    // node refuses an unknown option at start: one a newer or older Node.js dropped shows here.
    for (const flag of GATEWAY_NODE_FLAGS) expect(process.allowedNodeEnvironmentFlags.has(flag.split('=')[0]!), flag).toBe(true);
  });
});
