import type { Migration } from 'kysely';
import type { SqlDialectName } from '../platform/sql/index.js';
import type { Subscription } from '../platform/queue/index.js';
import type { ConsumerContext, Module, ModuleContext, ModuleDefinition } from '../shared/module.js';

/* eslint-disable @typescript-eslint/no-explicit-any -- a list of definitions of any module */
type AnyDefinition = ModuleDefinition<string, Module, any>;

/** The built modules of a list of definitions, by name, each with its own type. */
export type ModulesOf<Defs extends readonly AnyDefinition[]> = {
  readonly [D in Defs[number] as D['name']]: Awaited<ReturnType<D['create']>>;
};
/* eslint-enable @typescript-eslint/no-explicit-any */

/** The tables of every module of a list (names are prefixed per module, applied in name order). */
export function migrationsOf(definitions: readonly AnyDefinition[], dialect: SqlDialectName): Record<string, Migration> {
  return Object.assign({}, ...definitions.map((d) => d.migrations(dialect))) as Record<string, Migration>;
}

/** Definitions listed once each, the first occurrence kept (roles sharing a process list some modules twice). */
export function uniqueModules<Defs extends readonly AnyDefinition[]>(definitions: Defs): Defs {
  const seen = new Set<string>();
  return definitions.filter((d) => !seen.has(d.name) && seen.add(d.name)) as unknown as Defs;
}

/** Builds the modules in list order, each given the modules it needs (listed before it). */
export async function buildModules<Defs extends readonly AnyDefinition[]>(context: ModuleContext, definitions: Defs): Promise<ModulesOf<Defs>> {
  const built: Record<string, Module> = {};
  for (const definition of definitions) {
    const needs: Record<string, Module> = {};
    for (const name of definition.needs) {
      const module = built[name];
      if (module === undefined) throw new Error(`module ${definition.name} needs ${name}, which is not listed before it`);
      needs[name] = module;
    }
    built[definition.name] = await definition.create(context, needs);
  }
  return built as ModulesOf<Defs>;
}

/** Starts every module in list order; each one's close runs at shutdown, in the reverse order. */
export async function startModules(context: Pick<ModuleContext, 'onClose'>, modules: readonly Module[]): Promise<void> {
  for (const module of modules) {
    context.onClose(() => module.close());
    await module.start?.();
  }
}

/** Starts the queue consumers of the given modules; one `stop` for them all. */
export function startConsumers(modules: readonly Module[], context: ConsumerContext): Subscription {
  const subscriptions = modules.flatMap((m) => m.consumers?.(context) ?? []);
  return {
    async stop() {
      await Promise.all(subscriptions.map((s) => s.stop()));
    },
  };
}
