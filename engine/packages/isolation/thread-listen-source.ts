/** Why a package may not listen (after `cannot listen on <where>: `). */
const LISTEN_RULE = 'a package may not accept connections (packages.md "Isolation and reach")';

/**
 * JavaScript of `lockListening()` and `lockHandle(handle)`, part of the package thread's
 * program (thread-source.ts), run before `lockReach` and `lockModules`: a package
 * may not accept connections, from this machine or any other, so every way to listen throws
 * `FORBIDDEN_CODE` at the call (a listening server's errors are events a package may leave
 * unheard, so the step would crash instead): `net.Server.prototype.listen`, which every server
 * of `node:net`, `node:http(s)`, `node:http2` and `node:tls` inherits and none overrides, the
 * `_listen2` and `net._createServerHandle` it calls, and the `listen` of the class of a
 * socket's own handle (`lockHandle`: a local socket's at once, a TCP one's for each socket
 * `connect` gives a handle to). UDP is refused with `node:dgram`. It runs before `lockReach`
 * and expects `require`, `fix` and `forbidden` in scope.
 */
export const LOCK_LISTENING_SOURCE = `
const notListening = (where) =>
  forbidden('cannot listen on ' + where + ': ${LISTEN_RULE}');
const lockedHandles = new WeakSet();
function lockHandle(handle) {
  const proto = handle && Object.getPrototypeOf(handle);
  if (!proto || lockedHandles.has(proto) || typeof proto.listen !== 'function') return;
  lockedHandles.add(proto);
  fix(proto, 'listen', () => {
    throw notListening('a socket handle');
  });
}
function lockListening() {
  const net = require('node:net');
  const normalizeArgs = net._normalizeArgs;
  const placeOf = (args) => {
    const options = normalizeArgs(args)[0] || {};
    if (options.path !== undefined && options.path !== null) return String(options.path);
    const port = options.port === undefined || options.port === null ? 0 : options.port;
    return options.host ? options.host + ':' + port : String(port);
  };
  fix(net.Server.prototype, 'listen', (...args) => {
    throw notListening(placeOf(args));
  });
  fix(net.Server.prototype, '_listen2', (address, port) => {
    throw notListening((address ? address + ':' : '') + port);
  });
  fix(net, '_createServerHandle', (address, port) => {
    throw notListening((address ? address + ':' : '') + port);
  });
  // A local socket's handle (a Pipe) would listen too: a package gets one with
  // new net.Socket({ fd }) on one of its process's descriptors (the IPC channel), which no
  // connect of its own makes. A connect to an abstract name no one holds makes one now, before
  // lockReach refuses local sockets: it fails at once and touches no file.
  const probe = new net.Socket();
  probe.on('error', () => {});
  probe.connect({ path: '\\0waymark-lock-listening' });
  lockHandle(probe._handle);
  probe.destroy();
}
`;
