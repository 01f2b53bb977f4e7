/**
 * The benchmark's HTTP clients: access tokens made with the server's signing key (the key is
 * generated here and given to the server as JWT_PRIVATE_KEY; the claims copy those of a token the
 * server issued at a real login), and a paced poster: requests sent evenly at a fixed rate over
 * keep-alive connections, never more than `maxInFlight` at once.
 */
import { generateKeyPairSync, randomUUID, type KeyObject } from 'node:crypto';
import { Agent, request } from 'node:http';
import { SignJWT, decodeJwt, decodeProtectedHeader } from 'jose';

/** An Ed25519 key for the server (PKCS#8 PEM) and for minting tokens. */
export function signingKey(): { pem: string; privateKey: KeyObject } {
  const { privateKey } = generateKeyPairSync('ed25519');
  return { pem: privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(), privateKey };
}

export interface Minter {
  mint(userId: string, username: string): Promise<string>;
}

/** Mints access tokens like `issued` (same kid, issuer, audience), signed with `privateKey`. */
export function minterLike(issued: string, privateKey: KeyObject, ttlSeconds = 3_600): Minter {
  const header = decodeProtectedHeader(issued);
  const claims = decodeJwt(issued);
  return {
    mint(userId, username) {
      const now = Math.floor(Date.now() / 1000);
      return new SignJWT({ preferred_username: username })
        .setProtectedHeader({ alg: 'EdDSA', typ: String(header.typ), kid: String(header.kid) })
        .setIssuer(String(claims.iss))
        .setAudience(claims.aud as string | string[])
        .setSubject(userId)
        .setIssuedAt(now)
        .setNotBefore(now)
        .setExpirationTime(now + ttlSeconds)
        .setJti(randomUUID())
        .sign(privateKey);
    },
  };
}

export interface Post {
  token: string;
  body: string;
}

export interface PostRun {
  sent: number;
  ok: number;
  /** Indexes of the posts not answered 2xx. */
  failed: number[];
  /** Status code counts (0: a transport error). */
  statuses: Record<string, number>;
  /** Client-side latency of each answered request (ms), in completion order. */
  latencies: number[];
  /** When the first request went out and the last answer came back (epoch ms). */
  startedAt: number;
  endedAt: number;
  /** When the last request was sent (epoch ms): a send schedule that slipped shows here. */
  lastSentAt: number;
  /** Most requests the schedule had due but could not send (all connections busy). */
  maxBehind: number;
}

/**
 * POSTs `posts` to `url` at `rate` per second, evenly (a 1 ms tick sends what is due), with at most
 * `maxInFlight` outstanding; stops sending after `timeLimitMs` (what was not sent is reported).
 * `onTick` is told the count sent so far about every `progressMs`.
 */
export async function postPaced(url: string, posts: readonly Post[], options: { rate: number; maxInFlight: number; timeLimitMs: number; progressMs?: number; onProgress?: (sent: number, answered: number) => void }): Promise<PostRun> {
  const target = new URL(url);
  const agent = new Agent({ keepAlive: true, maxSockets: options.maxInFlight });
  const run: PostRun = { sent: 0, ok: 0, failed: [], statuses: {}, latencies: [], startedAt: Date.now(), endedAt: 0, lastSentAt: 0, maxBehind: 0 };
  let inFlight = 0;
  let answered = 0;
  const start = performance.now();
  let lastProgress = start;

  const send = (index: number) => {
    const post = posts[index]!;
    const t0 = performance.now();
    inFlight++;
    const done = (status: number) => {
      inFlight--;
      answered++;
      run.statuses[status] = (run.statuses[status] ?? 0) + 1;
      if (status >= 200 && status < 300) run.ok++;
      else run.failed.push(index);
      run.latencies.push(performance.now() - t0);
      run.endedAt = Date.now();
    };
    const req = request(
      { agent, host: target.hostname, port: target.port, path: target.pathname, method: 'POST', headers: { authorization: `Bearer ${post.token}`, 'content-type': 'application/json', 'content-length': Buffer.byteLength(post.body) } },
      (res) => {
        res.resume();
        res.once('end', () => done(res.statusCode ?? 0));
        res.once('error', () => done(0));
      },
    );
    req.once('error', () => done(0));
    req.end(post.body);
  };

  await new Promise<void>((resolve) => {
    const tick = () => {
      const now = performance.now();
      const elapsed = now - start;
      const due = Math.min(posts.length, Math.floor((elapsed * options.rate) / 1000) + 1);
      if (run.sent < due && inFlight < options.maxInFlight) {
        while (run.sent < due && inFlight < options.maxInFlight) send(run.sent++);
        run.lastSentAt = Date.now();
      }
      run.maxBehind = Math.max(run.maxBehind, due - run.sent);
      if (options.onProgress && now - lastProgress >= (options.progressMs ?? 1_000)) {
        lastProgress = now;
        options.onProgress(run.sent, answered);
      }
      const finishedSending = run.sent === posts.length || elapsed > options.timeLimitMs;
      if (finishedSending && inFlight === 0) {
        clearInterval(timer);
        resolve();
      }
    };
    const timer = setInterval(tick, 1);
    tick();
  });
  agent.destroy();
  return run;
}

/** The q-quantile of a list (sorted in place). */
export function quantile(xs: number[], q: number): number {
  if (xs.length === 0) return NaN;
  xs.sort((a, b) => a - b);
  return xs[Math.min(xs.length - 1, Math.floor(q * xs.length))]!;
}
