import { Ajv, type Options, type ErrorObject } from 'ajv';
import formats from 'ajv-formats';
import type { FastifySchemaCompiler } from 'fastify';
import { isInstant, nonFiniteNumberAt } from '../shared/validation/index.js';

const COMMON: Options = {
  useDefaults: true,
  // Every invalid field is reported at once (fields are few and bounded by the schemas).
  allErrors: true,
  addUsedSchema: false,
};

function ajvWith(options: Options): Ajv {
  const ajv = new Ajv({ ...COMMON, ...options });
  // ajv-formats is CommonJS: its plugin is the `default` of what Node hands over.
  formats.default(ajv);
  // One reading of dates everywhere: real days of years 1970-9999 (see parseInstant).
  ajv.addFormat('date-time', { type: 'string', validate: isInstant });
  return ajv;
}

/**
 * The validation of every request part, as one policy for every route:
 * - query strings, path parameters and headers arrive as text, so they are coerced to the schema's
 *   types (`?limit=20` is a number) and unknown query parameters are dropped;
 * - bodies are JSON already: never coerced (`{"text": true}` is not the text "true"), and an unknown
 *   field where a schema closes its object is an error, not silently dropped (a PATCH of only
 *   unknown fields would otherwise become an empty update);
 * - nothing passes with a non-finite number (`limit=Infinity`, `1e400`), whatever the schema;
 * - `date-time` is {@link isInstant}.
 */
export function validatorCompiler(): FastifySchemaCompiler<unknown> {
  const text = ajvWith({ coerceTypes: 'array', removeAdditional: true });
  const json = ajvWith({ coerceTypes: false, removeAdditional: false });
  return ({ schema, httpPart }) => {
    const validate = (httpPart === 'body' ? json : text).compile(schema as object);
    const checked = (data: unknown): boolean => {
      if (!validate(data)) {
        checked.errors = validate.errors ?? [];
        return false;
      }
      const at = nonFiniteNumberAt(data);
      if (at !== null) {
        checked.errors = [{ instancePath: at === '/' ? '' : at, schemaPath: '#', keyword: 'finite', params: {}, message: 'must be a finite number' }];
        return false;
      }
      checked.errors = null;
      return true;
    };
    checked.errors = null as ErrorObject[] | null;
    return checked;
  };
}
