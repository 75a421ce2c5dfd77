import { describe, expect, test } from 'vitest';
import { ConfigError, loadConfig } from '../../engine/config/config.js';

describe('inbound mail settings', () => {
  test.each([
    [{ INBOUND_EMAIL_DOMAIN: 'not a domain' }, 'INBOUND_EMAIL_DOMAIN'],
    [{ INBOUND_SMTP_PORT: '2525' }, 'INBOUND_SMTP_PORT'],
    [{ INBOUND_EMAIL_DOMAIN: 'in.example.com', INBOUND_SMTP_PORT: '99999' }, 'INBOUND_SMTP_PORT'],
    [{ INBOUND_SECRET: 'short' }, 'INBOUND_SECRET'],
  ])('%o stops start-up with a message naming %s', (env, variable) => {
    expect(() => loadConfig(env)).toThrow(ConfigError);
    expect(() => loadConfig(env)).toThrow(new RegExp(`^${variable}:`));
  });

  test('a domain, a port and a secret are taken as given', () => {
    const config = loadConfig({
      INBOUND_EMAIL_DOMAIN: 'in.example.com',
      INBOUND_SMTP_PORT: '2525',
      INBOUND_SECRET: 'a-secret-of-sixteen',
    });
    expect(config).toMatchObject({
      inboundEmailDomain: 'in.example.com',
      inboundSmtpPort: 2525,
      inboundSecret: 'a-secret-of-sixteen',
    });
  });
});
