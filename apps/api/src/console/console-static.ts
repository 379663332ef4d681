import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Logger } from '@nestjs/common';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance } from 'fastify';

// Everything the console loads comes from this origin: a stray external request is blocked by the browser.
const CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "font-src 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
  "form-action 'self'",
].join('; ');

/** The built console (dist/console, from apps/console by Vite), at /console/. Public files: the data needs a key. */
export async function serveConsole(app: FastifyInstance, dir = resolve(__dirname, '../../console')): Promise<void> {
  const index = join(dir, 'index.html');
  app.get('/console', (_req, reply) => reply.redirect('/console/', 302));
  if (!existsSync(index)) {
    Logger.warn(`the admin console is not built (${index} missing): run npm run build`, 'Console');
    app.get('/console/', (_req, reply) =>
      reply.code(503).type('text/plain').send('the admin console is not built: run npm run build'),
    );
    return;
  }
  await app.register(fastifyStatic, {
    root: dir,
    prefix: '/console/',
    decorateReply: false,
    index: ['index.html'],
    // Hashed asset names never change content; index.html must be fetched fresh to pick up a new build.
    setHeaders: (reply, path) => {
      reply.header('Content-Security-Policy', CSP);
      reply.header('X-Content-Type-Options', 'nosniff');
      reply.header('Referrer-Policy', 'no-referrer');
      reply.header('Cache-Control', path.endsWith('index.html') ? 'no-cache' : 'public, max-age=31536000, immutable');
    },
  });
  Logger.log(`admin console at /console/ (from ${dir})`, 'Console');
}
