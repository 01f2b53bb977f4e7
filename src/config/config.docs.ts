import { ConfigSchema } from './config.schema.js';

/** The configuration table of docs/operations.md, generated from the schema: `npm run -s config:docs`. */
export function configTable(): string {
  const rows = Object.entries(ConfigSchema.properties).map(([name, schema]) => {
    const s = schema as { default?: unknown; description?: string; anyOf?: { const: unknown }[]; minimum?: number; maximum?: number };
    const values = s.anyOf ? s.anyOf.map((v) => `\`${String(v.const)}\``).join(' \\| ') : s.minimum !== undefined ? `${s.minimum}..${s.maximum}` : '';
    const def = s.default === undefined ? '' : s.default === '' ? '(empty)' : `\`${String(s.default)}\``;
    return `| \`${name}\` | ${def} | ${values} | ${s.description ?? ''} |`;
  });
  return ['| variable | default | values | meaning |', '|---|---|---|---|', ...rows].join('\n');
}

if (import.meta.url === `file://${process.argv[1]}`) process.stdout.write(`${configTable()}\n`);
