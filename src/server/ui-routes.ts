import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { problemOf, toProblem } from './problems.js';

/** The UI's files: `ui/` at the package's root, two folders up from both `src/server/` and `dist/server/`. */
export const uiFolder = fileURLToPath(new URL('../../ui/', import.meta.url));

const contentTypes: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
};

// The UI holds a token that grants what its role grants: only our own scripts run, nothing frames it, and
// the only server it talks to is this one.
const securityHeaders = {
  'content-security-policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; " +
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-cache',
};

/**
 * The web UI: `GET /` redirects to `/ui/`, which serves the files of `ui/` by exact name (read once, at start),
 * open without a token; the page itself asks for one and sends it as a bearer header on every API call.
 *
 * @example
 * uiRoutes(app); // GET /ui/ → index.html, GET /ui/app.js → the script
 */
export function uiRoutes(app: FastifyInstance, folder: string = uiFolder): void {
  if (!existsSync(folder)) return;
  const files = new Map<string, { body: Buffer; type: string }>();
  for (const name of readdirSync(folder)) {
    const type = contentTypes[extname(name)];
    if (type) files.set(name, { body: readFileSync(join(folder, name)), type });
  }
  const config = { access: 'public' as const };
  app.get('/', { config }, (_request, reply) => reply.redirect('/ui/'));
  app.get('/ui', { config }, (_request, reply) => reply.redirect('/ui/'));
  const serve = (name: string, reply: FastifyReply) => {
    const file = files.get(name);
    if (!file) {
      const problem = toProblem(problemOf('NotFound', `the UI has no file ${JSON.stringify(name)}`));
      return reply.code(404).type('application/problem+json').send(JSON.stringify(problem));
    }
    return reply.headers(securityHeaders).type(file.type).send(file.body);
  };
  app.get('/ui/', { config }, (_request, reply) => serve('index.html', reply));
  app.get<{ Params: { file: string } }>('/ui/:file', { config }, (request, reply) =>
    serve(request.params.file, reply),
  );
}
