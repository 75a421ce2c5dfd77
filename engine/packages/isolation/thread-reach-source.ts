/** Why a connection a package may not open fails (after `cannot connect to …: <why>`). */
const REACH_RULE = 'packages.md "Isolation and reach"';

/**
 * JavaScript of `lockReach(reach)`, part of the package thread's program (thread-source.ts),
 * run before `lockModules`: what a package may reach beyond its own files, which its process
 * confines (host-source.ts). Every TCP or TLS connection (`node:net`, `node:tls`, `node:http`,
 * `fetch`: all connect through `net.Socket.prototype.connect`) must go to an address
 * `ctx.http` may call too: a public one, a private one only with `reach.allowPrivate`
 * (engine/http/ssrf.ts judges `ctx.http`'s by the same ipaddr.js ranges), and never Waymark's
 * database (`reach.denied`, `<address> <port>` or `<range> <port>`, relay-source.ts). A host name is judged by what it resolves to,
 * at the lookup the connection makes. Local sockets (`path`) and UDP (`node:dgram`, refused by
 * `lockModules` as `REFUSED_BUILTINS`) reach what an address rule cannot see; `process.kill`
 * (and `process._kill`, which it calls) would signal Waymark's own processes. A refused
 * connection fails as a refused one does, an `error` on the socket; the error's code is
 * `FORBIDDEN_CODE`. The handle a connect makes goes to `lockHandle` (thread-listen-source.ts).
 * It expects `require`, `fix`, `forbidden`, `lockHandle` and `FORBIDDEN_CODE` in scope.
 */
export const LOCK_REACH_SOURCE = `
function lockReach(reach) {
  const net = require('node:net');
  const dns = require('node:dns');
  const ipaddr = require(reach.ipaddrPath);
  const denied = new Set(reach.denied);
  const refusal = (address, port) => {
    if (!ipaddr.isValid(address)) return address + ' is not an IP address';
    const parsed = ipaddr.process(address);
    let range = parsed.range();
    if (denied.has(parsed.toString() + ' ' + port) || denied.has(range + ' ' + port)) return "it is Waymark's database";
    // As refusalOf (engine/http/ssrf.ts): IPv4-compatible IPv6 (::/96) is refused whatever it carries.
    if (range === 'unicast' && parsed.kind() === 'ipv6' && parsed.parts.slice(0, 6).every((part) => part === 0))
      range = 'ipv4Compatible';
    if (range === 'unicast' || reach.allowPrivate) return null;
    return 'a ' + range + ' address (set WAYMARK_HTTP_ALLOW_PRIVATE=true to allow)';
  };
  const refused = (what, why) => forbidden('cannot connect to ' + what + ': ' + why + ' (${REACH_RULE})');
  const connect = net.Socket.prototype.connect;
  // The socket's handle (a TCP wrap) is made in connect, before the package can see it: its
  // class could otherwise listen (new TCP(…).listen) without net.Server.
  const connected = (socket, normalized) => {
    const result = connect.call(socket, normalized);
    lockHandle(socket._handle);
    return result;
  };
  fix(net.Socket.prototype, 'connect', function (...args) {
    // net.connect passes its arguments already normalized, as an array Node marks so.
    const normalized = Array.isArray(args[0]) ? args[0] : net._normalizeArgs(args);
    const options = normalized[0];
    const fail = (error) => {
      process.nextTick(() => this.destroy(error));
      return this;
    };
    if (options.path !== undefined && options.path !== null)
      return fail(refused(String(options.path), 'a package may not open local sockets'));
    const port = Number(options.port);
    const host = options.host || 'localhost';
    if (net.isIP(host)) {
      const why = refusal(host, port);
      return why ? fail(refused(host + ':' + port, why)) : connected(this, normalized);
    }
    const lookup = typeof options.lookup === 'function' ? options.lookup : dns.lookup;
    normalized[0] = {
      ...options,
      lookup(hostname, lookupOptions, callback) {
        const done = typeof lookupOptions === 'function' ? lookupOptions : callback;
        const given = typeof lookupOptions === 'function' ? {} : lookupOptions;
        return lookup.call(this, hostname, given, (error, address, family) => {
          if (error) return done(error, address, family);
          for (const found of Array.isArray(address) ? address : [{ address }]) {
            const why = refusal(found.address, port);
            if (why) return done(refused(hostname + ':' + port + ' (' + found.address + ')', why));
          }
          return done(null, address, family);
        });
      },
    };
    return connected(this, normalized);
  });
  // process._kill is what process.kill calls: a worker has it too.
  for (const name of ['kill', '_kill'])
    fix(process, name, () => {
      throw forbidden('cannot use process.' + name + ': a package may not signal processes (${REACH_RULE})');
    });
}
`;
