'use strict';
// make bench-ussd's other system: the status journey on ussd-menu-builder with Redis sessions,
// AT's USSD form in and CON/END text out, in WORKERS processes under Node's cluster.
//
// Environment: PORT (8251), WORKERS (2), REDIS_URL (redis://127.0.0.1:6379/7),
// AT_CALLBACK_TOKEN (every hop must carry it as ?token=).

const cluster = require('node:cluster');
const crypto = require('node:crypto');
const http = require('node:http');
const { createClient } = require('redis');
const { sessionKey, docKey } = require('./keys');
const { buildMenu } = require('./status_menu');

const PORT = Number(process.env.PORT || 8251);
const WORKERS = Number(process.env.WORKERS || 2);
const REDIS_URL = process.env.REDIS_URL || 'redis://127.0.0.1:6379/7';
const TOKEN = Buffer.from(process.env.AT_CALLBACK_TOKEN || '');
const SESSION_TTL_S = 600;
const HOP_DEADLINE_MS = 2000;
const MAX_BODY = 8192;
const PHONE = /^\+?[0-9]{6,15}$/;
const SORRY = 'END Sorry, the service is busy. Please try again later.';
const UNREADABLE = 'END Sorry, we could not read that request.';

/** Start the workers and stop them all on SIGTERM or SIGINT. */
function supervise() {
  let stopping = false;
  for (let i = 0; i < WORKERS; i += 1) cluster.fork();
  cluster.on('exit', (worker, code, signal) => {
    if (!stopping) console.error(`worker ${worker.process.pid} ended (${code ?? signal})`);
    else if (Object.keys(cluster.workers).length === 0) process.exit(0);
  });
  const stop = () => {
    stopping = true;
    for (const worker of Object.values(cluster.workers)) worker.process.kill('SIGTERM');
    setTimeout(() => process.exit(0), 3000).unref();
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

/** ussd-menu-builder's session handlers, one Redis hash per session. */
function redisSessions(redis) {
  return {
    start: (id) => redis.multi().hSetNX(sessionKey(id), 'open', '1')
      .expire(sessionKey(id), SESSION_TTL_S).exec(),
    end: (id) => redis.del(sessionKey(id)),
    set: (id, key, value) => redis.hSet(sessionKey(id), key, value),
    get: (id, key) => redis.hGet(sessionKey(id), key),
  };
}

/** Connect to Redis failing fast while it is down: no command waits in an offline queue. */
async function connect() {
  const redis = createClient({
    url: REDIS_URL,
    disableOfflineQueue: true,
    socket: { connectTimeout: 2000, reconnectStrategy: (n) => Math.min(50 * 2 ** n, 2000) },
  });
  let reported = false;
  redis.on('error', (err) => {
    if (!reported) console.error(`redis: ${err.message}`);
    reported = true;
  });
  redis.on('ready', () => { reported = false; });
  await redis.connect();
  return redis;
}

function send(res, status, body) {
  res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8' });
  res.end(body);
}

function tokenOk(given) {
  const candidate = Buffer.from(given || '');
  return TOKEN.length > 0 && candidate.length === TOKEN.length
    && crypto.timingSafeEqual(candidate, TOKEN);
}

/** Read a small form body; call back with null when it is too large. */
function readForm(req, done) {
  let body = '';
  req.setEncoding('utf8');
  req.on('data', (chunk) => {
    body += chunk;
    if (body.length > MAX_BODY) { req.removeAllListeners('data'); req.resume(); body = null; }
  });
  req.on('end', () => done(body === null ? null : new URLSearchParams(body)));
  req.on('error', () => done(null));
}

/** Answer one hop through a fresh menu, within HOP_DEADLINE_MS whatever Redis does. */
function hop(form, res, deps) {
  const args = {
    sessionId: (form.get('sessionId') || '').trim(),
    phoneNumber: (form.get('phoneNumber') || '').trim(),
    serviceCode: form.get('serviceCode') || '',
    text: (form.get('text') || '').slice(0, 2000),
  };
  if (!args.sessionId || args.sessionId.length > 200 || !PHONE.test(args.phoneNumber)) {
    return send(res, 200, UNREADABLE);
  }
  let answered = false;
  const answer = (body) => {
    if (answered) return;
    answered = true;
    clearTimeout(timer);
    send(res, 200, body);
  };
  const timer = setTimeout(() => answer(SORRY), HOP_DEADLINE_MS);
  const menu = buildMenu(deps.sessions, deps.lookup);
  menu.on('error', (err) => { console.error(`hop failed: ${err.message}`); answer(SORRY); });
  menu.run(args, answer);
}

function route(req, res, deps) {
  const url = new URL(req.url, 'http://127.0.0.1');
  if (req.method === 'GET' && url.pathname === '/healthz') return send(res, 200, 'ok');
  if (req.method !== 'POST' || url.pathname !== '/ussd') return send(res, 404, 'not found');
  if (!tokenOk(url.searchParams.get('token'))) return send(res, 403, 'forbidden');
  readForm(req, (form) => (form === null ? send(res, 200, UNREADABLE) : hop(form, res, deps)));
}

async function serve() {
  // A session promise the library leaves uncaught must not end the worker: the menu's 'error'
  // event has already answered the hop.
  process.on('unhandledRejection', () => {});
  const redis = await connect();
  const deps = {
    sessions: redisSessions(redis),
    lookup: (key) => redis.hGetAll(docKey(key)),
  };
  const server = http.createServer((req, res) => route(req, res, deps));
  server.keepAliveTimeout = 65000;
  server.listen(PORT, '127.0.0.1');
  process.on('SIGTERM', () => {
    setTimeout(() => process.exit(0), 2000).unref();
    server.close(() => redis.quit().finally(() => process.exit(0)));
  });
}

if (cluster.isPrimary) {
  supervise();
} else {
  serve().catch((err) => {
    console.error(`worker could not start: ${err.message}`);
    process.exit(1);
  });
}
