import type { Config } from './config/index.js';
import { assembleApi, type ApiContainer, type Runtime } from './composition/api.js';
import type { ContextOptions } from './composition/context.js';

export type { ApiContainer, Runtime };

/**
 * Starts the api role: the HTTP API on the main thread, with the worker role (when ROLES has it)
 * either on a worker thread (default) or inline. See src/composition/api.ts.
 */
export function startRuntime(config: Config, options: ContextOptions = {}): Promise<Runtime> {
  return assembleApi(config, options);
}
