import { readFileSync } from 'node:fs';
import type { Config } from '../config/index.js';

/** The certificate and key to terminate TLS with, when the configuration names them. */
export function tlsOptions(config: Pick<Config, 'TLS_CERT_FILE' | 'TLS_KEY_FILE'>): { cert: Buffer; key: Buffer } | undefined {
  if (config.TLS_CERT_FILE === undefined || config.TLS_KEY_FILE === undefined) return undefined;
  return { cert: readFileSync(config.TLS_CERT_FILE), key: readFileSync(config.TLS_KEY_FILE) };
}
