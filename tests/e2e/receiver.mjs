// A webhook receiver on loopback for the end-to-end tests and `./build.sh run`.
// It records every request and checks both signature schemes with node:crypto,
// independently of the Rust implementation under test.
import { createServer } from 'node:http';
import { createHmac, timingSafeEqual } from 'node:crypto';
import { serviceVerdict } from './services.mjs';

/** The signing secret of the tests' webhooks and the bench's, which their receivers verify with. */
export const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';

/** Key bytes as Standard Webhooks defines them: `whsec_` + base64, else UTF-8. */
export function secretBytes(secret) {
  return secret.startsWith('whsec_') ? Buffer.from(secret.slice(6), 'base64') : Buffer.from(secret, 'utf8');
}

function safeEqual(a, b) {
  const [x, y] = [Buffer.from(a), Buffer.from(b)];
  return x.length === y.length && timingSafeEqual(x, y);
}

/**
 * Checks a request's signatures. `payload` is the body, or for GET the raw
 * query string. Returns {standard, hex}: true, false, or null when absent.
 */
export function verify(secret, headers, payload) {
  const key = secretBytes(secret);
  const id = headers['webhook-id'];
  const timestamp = headers['webhook-timestamp'];
  const standardHeader = headers['webhook-signature'];
  const hexHeader = headers['x-autohook-signature'];
  let standard = null;
  if (standardHeader) {
    const expected = createHmac('sha256', key).update(`${id}.${timestamp}.${payload}`).digest('base64');
    standard = standardHeader.split(' ').some((part) => safeEqual(part, `v1,${expected}`));
  }
  let hex = null;
  if (hexHeader) {
    hex = safeEqual(hexHeader, `sha256=${createHmac('sha256', key).update(payload).digest('hex')}`);
  }
  return { standard, hex };
}

/**
 * Starts a receiver on 127.0.0.1 with a free port.
 * - `receiver.script(path, [500, 500, 200])`: statuses to answer on a path, in
 *   order (the last one repeats); 'hang' never answers; 'stall' sends 200
 *   and the start of a body it never finishes; 'flood' sends 200 and up to
 *   FLOOD_BYTES of body as fast as the client reads (`streamed(path)` says
 *   how much went out); 'echo' answers 200 with the request's headers and
 *   body; an object {status, headers, body} sets response headers and the
 *   body too (`body` a string, or an object sent as JSON).
 * - `receiver.secret(path, secret)`: verify requests to `path` with `secret`.
 * - `receiver.service(path, 'slack')`: refuse with 400 what that service would.
 */
export async function startReceiver({ log = false } = {}) {
  const deliveries = [];
  const scripts = new Map();
  const secrets = new Map();
  const services = new Map();
  const waiters = new Set();
  const hanging = new Set();
  const streamed = new Map();
  const cut = new Set();

  const server = createServer((req, res) => {
    const chunks = [];
    req.on('data', (chunk) => chunks.push(chunk));
    req.on('end', () => {
      const url = new URL(req.url, 'http://127.0.0.1');
      const body = Buffer.concat(chunks).toString('utf8');
      const query = req.url.includes('?') ? req.url.slice(req.url.indexOf('?') + 1) : '';
      const secret = secrets.get(url.pathname);
      const delivery = {
        method: req.method,
        path: url.pathname,
        query,
        headers: req.headers,
        body,
        json: parseJson(req.method === 'GET' ? null : body),
        receivedAt: Date.now(),
        verified: secret ? verify(secret, req.headers, req.method === 'GET' ? query : body) : null,
      };
      const service = services.get(url.pathname);
      delivery.rejected = service ? serviceVerdict(service, body) : null;
      deliveries.push(delivery);
      if (log) printDelivery(delivery);
      for (const waiter of waiters) waiter();
      const step = delivery.rejected ? 400 : nextStep(url.pathname);
      if (step === 'echo') return void res.end(JSON.stringify({ url: req.url, headers: req.headers, body }));
      answer(res, step, url.pathname);
    });
  });

  function nextStep(path) {
    const steps = scripts.get(path);
    if (!steps || steps.length === 0) return 200;
    return steps.length > 1 ? steps.shift() : steps[0];
  }

  function answer(res, step, path) {
    if (step === 'hang') {
      hanging.add(res);
      return;
    }
    if (step === 'stall' || step === 'flood') {
      res.writeHead(200, { 'Content-Type': 'text/plain' });
      hanging.add(res);
      res.on('close', () => res.writableFinished || cut.add(path));
      if (step === 'stall') return void res.write('started, never finished');
      const chunk = Buffer.alloc(64 * 1024, 'x');
      const pump = () => {
        while (!res.destroyed && (streamed.get(path) ?? 0) < FLOOD_BYTES) {
          streamed.set(path, (streamed.get(path) ?? 0) + chunk.length);
          if (!res.write(chunk)) return;
        }
        res.end();
      };
      res.on('drain', pump);
      return void pump();
    }
    const { status, headers = {}, body = `receiver says ${status}` } = typeof step === 'object' ? step : { status: step };
    const json = typeof body === 'object';
    res.writeHead(status, { 'Content-Type': json ? 'application/json' : 'text/plain', ...headers });
    res.end(json ? JSON.stringify(body) : body);
  }

  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${server.address().port}`;

  return {
    base,
    deliveries,
    url: (path) => `${base}${path}`,
    script: (path, steps) => scripts.set(path, [...steps]),
    /** Bytes of body a 'flood' step on `path` has handed to the socket. */
    streamed: (path) => streamed.get(path) ?? 0,
    /** Whether a 'stall' or 'flood' answer on `path` was closed before its end: by the client, or by close(). */
    cutShort: (path) => cut.has(path),
    secret: (path, secret) => secrets.set(path, secret),
    /** Answers requests to `path` as `service` would: 400 for a body it refuses (see services.mjs). */
    service: (path, service) => services.set(path, service),
    /** Resolves with the deliveries once `predicate(deliveries)` holds. */
    waitFor(predicate, timeoutMs = 15_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          if (!predicate(deliveries)) return;
          clearTimeout(timer);
          waiters.delete(check);
          resolve(deliveries);
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`receiver: condition not met within ${timeoutMs} ms (${deliveries.length} deliveries)`));
        }, timeoutMs);
        waiters.add(check);
        check();
      });
    },
    close() {
      for (const res of hanging) res.destroy();
      server.closeAllConnections();
      return new Promise((resolve) => server.close(resolve));
    },
  };
}

/** The most a 'flood' answer sends: far more than any client should read. */
const FLOOD_BYTES = 256 * 1024 * 1024;

function parseJson(text) {
  try {
    return text ? JSON.parse(text) : null;
  } catch {
    return null;
  }
}

function printDelivery({ method, path, query, headers, body, verified }) {
  const check = verified ? `standard signature ${mark(verified.standard)}, sha256 signature ${mark(verified.hex)}` : 'no secret set for this path';
  console.log(`\n${method} ${path}${query ? `?${query}` : ''}  [${check}]`);
  for (const [name, value] of Object.entries(headers)) console.log(`  ${name}: ${value}`);
  if (body) console.log(`  ${body}`);
}

function mark(result) {
  return result === null ? 'absent' : result ? 'VERIFIED' : 'INVALID';
}
