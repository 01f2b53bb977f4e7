import type { Config } from '../config/index.js';
import type { ModuleContext } from '../shared/module.js';
import { openAdapters, type ProcessAdapters } from './adapters.js';
import { openBase, type ContextOptions, type ProcessShape } from './base.js';

export type { ContextOptions, ProcessShape } from './base.js';

/** A process's context: the modules' context, its adapters (opened on use) and its one shutdown order. */
export interface ProcessContext extends ModuleContext {
  readonly adapters: ProcessAdapters;
  /** Closes everything opened or started, in the reverse order. */
  close(): Promise<void>;
}

/** The context of a role that runs modules (API, worker). */
export function openContext(config: Config, shape: ProcessShape, options: ContextOptions = {}): ProcessContext {
  const { lifecycle: _lifecycle, adapterOptions, ...base } = openBase(config, shape, options);
  return { ...base, adapters: openAdapters(adapterOptions) };
}
