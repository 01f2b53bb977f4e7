/**
 * The Node.js options a serving process (API, gateway, worker) runs with: `npm start`, the local
 * cluster, the generated systemd unit and the benchmarks all start `dist/server.js` with these.
 *
 * V8 keeps new objects in a young generation of two semi-spaces, 16 MB each by default, and
 * scavenges it when one fills. A server allocates per request and keeps some of it alive until the
 * answer goes (every request in flight, a proxied one for a whole upstream round trip): at 10,000
 * requests a second the default size scavenges several times a second, copying the same in-flight
 * objects each time and promoting them to the old generation, where they are collected again.
 * Four times the room scavenges four times less and promotes less. Measured on the gateway (A/B,
 * same minutes, the same two APIs behind): V8's parallel scavenger threads went from ~16 to ~3 µs
 * of CPU per proxied request. The cost is memory: up to ~100 MB more resident per process under
 * load. Started some other way, the process runs with V8's defaults, correctly.
 */
export const SERVER_NODE_FLAGS: readonly string[] = ['--max-semi-space-size=64'];
