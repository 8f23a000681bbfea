import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance } from 'fastify';

export const WEB_DIST = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../dist/web');

/**
 * Serves the built React app and falls back to its index.html for client-side routes. API paths
 * that match no route answer 404 in the API's error format.
 */
export async function registerWebApp(app: FastifyInstance): Promise<void> {
  const built = fs.existsSync(path.join(WEB_DIST, 'index.html'));
  if (built) {
    await app.register(fastifyStatic, {
      root: WEB_DIST,
      wildcard: false,
      index: false,
      setHeaders: (res, filePath) => {
        if (filePath.includes(`${path.sep}assets${path.sep}`)) {
          res.header('cache-control', 'public, max-age=31536000, immutable');
        }
      },
    });
  }
  app.setNotFoundHandler(async (request, reply) => {
    // Links sent to patients (booking, preferences, survey, offer) end in a signed token, whose '.' is not a file extension.
    const isPage =
      request.method === 'GET' &&
      !request.url.startsWith('/api/') &&
      (/^\/(book|preferences|survey|offer)\//.test(request.url) || !path.extname(request.url.split('?')[0] ?? ''));
    if (isPage && built) {
      return reply.header('cache-control', 'no-cache').sendFile('index.html');
    }
    if (isPage) {
      return reply
        .status(503)
        .type('text/plain')
        .send('The web UI has not been built. Run `npm run build:web` (npm start does this for you).');
    }
    return reply.status(404).send({ error: { code: 'not_found', message: `No route ${request.method} ${request.url.split('?')[0]}` } });
  });
}
