import { ConfigError } from '../engine/config/config.js';

/**
 * What a listener's failure to start says: a port in use or a host that is no address of this
 * machine (a typo, an address it does not have) names the variable that set it (API.md "Start-up
 * and operation": a bad value stops start-up with a message naming the variable); anything
 * else is itself.
 *
 * @example
 * server.once('error', (e) => reject(listenError(e, { host: 'METRICS_HOST', port: 'METRICS_PORT' }, at)));
 */
export function listenError(
  error: NodeJS.ErrnoException,
  variables: { host: string; port: string },
  at: { host: string; port: number },
): Error {
  if (error.code === 'EADDRINUSE')
    return new ConfigError(variables.port, `port ${at.port} on ${at.host} is already in use`);
  if (error.code === 'ENOTFOUND' || error.code === 'EADDRNOTAVAIL' || error.code === 'EAI_AGAIN')
    return new ConfigError(variables.host, `${at.host} is not an address this machine can listen on (${error.code})`);
  return error;
}
