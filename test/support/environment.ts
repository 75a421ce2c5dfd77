import { vi } from 'vitest';

// Waymark's own settings (README "Environment", engine/config): a process a test starts has the
// ones the test gives it and no other. The test files share their process (vitest.config.ts), so
// one that sets a variable for itself must not decide what a later file's child sees.
const SETTING = /^(WAYMARK_|OTEL_|METRICS_|INBOUND_|SMTP_URL$|DATABASE_URL$|PUBLIC_URL$|HOST$|PORT$|LOG_LEVEL$)/;

/** This process's environment without Waymark's settings: the base of a started process's. */
export function environmentWithoutSettings(): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(process.env).filter(([name]) => !SETTING.test(name)));
}

/** Waymark's settings in this process's environment, by name. */
export function waymarkSettings(): Record<string, string | undefined> {
  return Object.fromEntries(
    Object.entries(process.env)
      .filter(([name]) => SETTING.test(name))
      .sort(),
  );
}

/**
 * Sets variables of this process's environment until `vi.unstubAllEnvs()` gives them back
 * (undefined: unset). In place: a file that replaced `process.env` with a copy of it left
 * vitest's stubs of later files ungiven-back.
 *
 * @example
 * stubEnvironment({ OTEL_EXPORTER_OTLP_ENDPOINT: collector.url, OTEL_EXPORTER_OTLP_PROTOCOL: undefined });
 */
export function stubEnvironment(variables: Record<string, string | undefined>): void {
  for (const [name, value] of Object.entries(variables)) vi.stubEnv(name, value);
}
