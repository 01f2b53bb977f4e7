/**
 * Service discovery: instances announce themselves under a service name with a time to live and
 * renew it while they run; whoever routes to them reads who is alive. An instance that dies
 * without saying so drops out when its last announcement expires.
 */
export interface ServiceRegistry {
  /**
   * Announces `address` under `service` until the registration is withdrawn; renewed every ttl/3.
   * A store that does not answer yet does not fail it: the error goes to `onError` and the next
   * renewal announces it.
   */
  register(service: string, address: string, options: { ttlMs: number; onError?: (err: unknown) => void }): Promise<Registration>;
  /** Addresses whose announcement has not expired, sorted. */
  instances(service: string): Promise<string[]>;
  close(): Promise<void>;
}

export interface Registration {
  /** Stops renewing and removes the announcement at once (a graceful stop). */
  withdraw(): Promise<void>;
}
