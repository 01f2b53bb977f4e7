import { createHmac, sign as edSign, type KeyObject } from 'node:crypto';

const b64 = (value: object | Buffer) => (Buffer.isBuffer(value) ? value : Buffer.from(JSON.stringify(value))).toString('base64url');

/** A compact JWS with any header and payload, signed with Ed25519 when a key is given. */
export function forgeEdDsa(header: object, payload: object, privateKey: KeyObject): string {
  const input = `${b64(header)}.${b64(payload)}`;
  return `${input}.${b64(edSign(null, Buffer.from(input), privateKey))}`;
}

/** `alg: none`: no signature at all. */
export function forgeNone(payload: object, extraHeader: object = {}): string {
  return `${b64({ alg: 'none', typ: 'at+jwt', ...extraHeader })}.${b64(payload)}.`;
}

/** The key-confusion attack: HS256 with the server's public key bytes as the HMAC secret. */
export function forgeHs256(payload: object, secret: Buffer | string, extraHeader: object = {}): string {
  const input = `${b64({ alg: 'HS256', typ: 'at+jwt', ...extraHeader })}.${b64(payload)}`;
  return `${input}.${b64(createHmac('sha256', secret).update(input).digest())}`;
}

/** The token with its payload replaced and its signature kept. */
export function tamperPayload(token: string, change: (payload: Record<string, unknown>) => Record<string, unknown>): string {
  const [header, payload, signature] = token.split('.') as [string, string, string];
  const decoded = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Record<string, unknown>;
  return `${header}.${b64(change(decoded))}.${signature}`;
}

/** The decoded payload of a compact JWS (unverified). */
export function payloadOf(token: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')) as Record<string, unknown>;
}
