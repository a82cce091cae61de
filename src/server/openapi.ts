import { z } from 'zod';
import type { DocumentedRoute } from './routes.js';
import { problemSchema } from './schemas.js';

type JsonSchema = Record<string, unknown>;

/** An OpenAPI 3.1 document. */
export interface OpenApiDocument {
  openapi: '3.1.0';
  info: { title: string; version: string };
  paths: Record<string, Record<string, unknown>>;
  security: Record<string, string[]>[];
  components: { schemas: Record<string, JsonSchema>; securitySchemes: Record<string, unknown> };
}

/**
 * Describes the routes from the same zod schemas that validate their requests, so the document cannot drift
 * from what the server accepts.
 *
 * @example
 * const doc = openApiDocument(routes, { title: 'Hindsight', version: '0.1.0' });
 */
export function openApiDocument(
  routes: readonly DocumentedRoute[],
  info: { title: string; version: string },
): OpenApiDocument {
  const components: Record<string, JsonSchema> = {};
  const convert = (schema: z.ZodType, io: 'input' | 'output'): JsonSchema => {
    const json = z.toJSONSchema(schema, { io, unrepresentable: 'any' }) as JsonSchema;
    const defs = (json.$defs ?? {}) as Record<string, JsonSchema>;
    delete json.$defs;
    delete json.$schema;
    for (const [name, def] of Object.entries(defs)) components[name] = rewriteRefs(def) as JsonSchema;
    return rewriteRefs(json) as JsonSchema;
  };
  const problem = convert(problemSchema, 'output');

  const paths: OpenApiDocument['paths'] = {};
  for (const route of routes) {
    const parameters: unknown[] = [];
    for (const [where, schema] of [
      ['path', route.params],
      ['query', route.query],
    ] as const) {
      if (!schema) continue;
      const json = convert(schema, 'input');
      const required = new Set((json.required as string[] | undefined) ?? []);
      for (const [name, property] of Object.entries((json.properties ?? {}) as Record<string, JsonSchema>)) {
        const { description, ...rest } = property;
        parameters.push({
          name,
          in: where,
          required: where === 'path' || required.has(name),
          ...(description ? { description } : {}),
          schema: rest,
        });
      }
    }
    for (const [name, description] of Object.entries(route.headers)) {
      parameters.push({ name, in: 'header', required: false, description, schema: { type: 'string' } });
    }
    if (route.idempotent && !('Idempotency-Key' in route.headers)) {
      parameters.push({
        name: 'Idempotency-Key',
        in: 'header',
        required: false,
        description: 'The same key and body again answers the first response and does nothing more',
        schema: { type: 'string' },
      });
    }

    const responses: Record<string, unknown> = {};
    for (const [status, doc] of Object.entries(route.responses)) {
      const type = doc.contentType ?? 'application/json';
      responses[status] = {
        description: doc.description,
        ...(doc.schema || type !== 'application/json'
          ? { content: { [type]: doc.schema ? { schema: convert(doc.schema, 'output') } : {} } }
          : {}),
      };
    }
    const problemResponse = (description: string) => ({
      description,
      content: { 'application/problem+json': { schema: problem } },
    });
    if (route.params || route.query || route.body) responses['400'] = problemResponse('Invalid input');
    if (route.access !== 'public') {
      responses['401'] = problemResponse('No bearer token, or an unknown one');
      responses['403'] = problemResponse(`The token’s role is weaker than ${route.access}`);
    }
    if (route.problems.length > 0) {
      responses.default = problemResponse(`A problem; codes: ${route.problems.join(', ')}`);
    }

    const operation = {
      summary: route.summary,
      ...(route.description ? { description: route.description } : {}),
      ...(route.access === 'public' ? { security: [] } : {}),
      'x-hindsight-role': route.access,
      ...(parameters.length > 0 ? { parameters } : {}),
      ...(route.body
        ? {
            requestBody: {
              required: true,
              content: { 'application/json': { schema: convert(route.body, 'input') } },
            },
          }
        : {}),
      responses,
    };
    const item = paths[route.path] ?? {};
    item[route.method.toLowerCase()] = operation;
    paths[route.path] = item;
  }

  return {
    openapi: '3.1.0',
    info,
    paths,
    security: [{ bearer: [] }],
    components: {
      schemas: components,
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } },
    },
  };
}

/** Points `$ref`s at `#/components/schemas`, where OpenAPI keeps shared schemas. */
function rewriteRefs(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(rewriteRefs);
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value)) {
    out[key] =
      key === '$ref' && typeof v === 'string'
        ? v.replace('#/$defs/', '#/components/schemas/')
        : rewriteRefs(v);
  }
  return out;
}
