/**
 * The Node.js options a serving process starts with, by role: the local cluster, the generated
 * systemd unit and the benchmarks use these; `node dist/server.js --role gateway` started by hand
 * should be given them too (docs/operations.md).
 *
 * V8 keeps new objects in a young generation of two semi-spaces, 16 MB each by default, and
 * scavenges it when one fills. The gateway keeps each proxied request's objects alive for a whole
 * upstream round trip: at 10,000 requests a second the default size scavenged several times a
 * second, copied the same in-flight requests each time and promoted them. With 64 MB its parallel
 * scavenger threads went from ~16 to ~3 µs of CPU per proxied request, and `bench:gateway` from 0.38
 * to 0.56 of nginx. An API process is the opposite case: a cached redirect's objects die before the
 * next scavenge whatever its size, and a larger nursery only spreads allocation over more memory than
 * the caches hold (A/B, same minutes: +15 % user CPU per redirect with 64 MB, worse with 32 MB too),
 * so API and worker processes keep V8's default.
 */
export const GATEWAY_NODE_FLAGS: readonly string[] = ['--max-semi-space-size=64'];

/** The options for a process running these roles (a comma-separated ROLES value or a list). */
export function nodeFlagsFor(roles: string | readonly string[]): readonly string[] {
  const list = typeof roles === 'string' ? roles.split(',').map((r) => r.trim()) : roles;
  return list.includes('gateway') ? GATEWAY_NODE_FLAGS : [];
}
