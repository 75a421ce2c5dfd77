import net from 'node:net';
import path from 'node:path';
import type { Config } from '../engine/config/config.js';
import type { Logger } from '../engine/logger.js';

/** Whether a listener on `host` (an address, or a URL's hostname in brackets) listens on every interface. */
function everyInterface(host: string): boolean {
  const address = host.replace(/^\[(.*)\]$/, '$1');
  if (net.isIPv4(address)) return address === '0.0.0.0';
  return net.isIPv6(address) && new URL(`http://[${address}]/`).hostname === '[::]';
}

/**
 * Settings that are legal but, as set, will hurt later and quietly: said once when a process
 * starts (not refused: API.md gives them defaults).
 *
 * @example
 * warnAtStart(logger, loadConfig()); // HOST=0.0.0.0 without PUBLIC_URL: a warning line
 */
export function warnAtStart(logger: Logger, config: Config): void {
  // HOST=0.0.0.0 (the Docker image's) without PUBLIC_URL points every tracking, unsubscribe,
  // invitation and setup link at http://0.0.0.0:…, which no recipient can open.
  if (everyInterface(new URL(config.publicUrl).hostname)) {
    logger.warn(
      { publicUrl: config.publicUrl },
      `links in mail and the setup link point at ${config.publicUrl}, an address no one else can open: set PUBLIC_URL to the address people reach Waymark at`,
    );
  }
  // METRICS_HOST defaults to HOST (operations.md), so HOST=0.0.0.0 — the Docker image's — opens
  // the token-less /metrics of METRICS_PORT to whoever reaches the machine: queue sizes, journey
  // and node names, send counts. Legal, and right behind a private network, but said.
  if (config.metricsPort !== null && everyInterface(config.metricsHost)) {
    logger.warn(
      { metricsHost: config.metricsHost, metricsPort: config.metricsPort },
      `METRICS_PORT serves /metrics without a token on every interface, as METRICS_HOST (default HOST) is ${config.metricsHost}: ` +
        'set METRICS_HOST=127.0.0.1, or to an address only your metrics scraper reaches',
    );
  }
  // On a shared database each process without WAYMARK_SECRET_KEY generates a key of its own
  // (in a container, again at every start without a volume): credentials another process saved
  // no longer decrypt, and links it signed no longer verify.
  if (config.databaseUrl !== null && config.secretKey === null) {
    logger.warn(
      { keyFile: path.join(config.dataDir, 'secret.key') },
      'WAYMARK_SECRET_KEY is not set: this process signs and encrypts with the key in its own data folder; ' +
        'every process on this DATABASE_URL needs the same key, so set WAYMARK_SECRET_KEY on all of them',
    );
  }
}
