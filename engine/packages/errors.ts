import { ConflictError, type ErrorDetail, WaymarkError } from '@waymark/sdk';

/**
 * 422: a package that breaks SDK.md's package rules; `details[].path` points into its
 * package.json. `of` names it (`@acme/waymark-nodes@1.0.0`) once its package.json is read, so
 * an upload's refusal says which package it was.
 */
export const invalidPackage = (details: readonly ErrorDetail[], of = 'the package') =>
  new WaymarkError(
    'invalid_package',
    `${of} cannot be installed: ${details.map((d) => d.message).join('; ')}`,
    details,
  );

/** 422: a package version that, with its dependencies, unpacks past a limit; `message` names it. */
export const unpackLimit = (message: string) => new WaymarkError('invalid_package', message, [{ path: '', message }]);

/** 502: the npm registry cannot be reached, refuses the token or answers 5xx. */
export const registryUnavailable = (message: string, cause?: unknown) =>
  new WaymarkError('registry_unavailable', message, [], cause === undefined ? undefined : { cause });

/** 409: removing a package version that journey versions still use, each named in `details`. */
export const packageInUse = (name: string, version: string, details: readonly ErrorDetail[]) =>
  new WaymarkError('package_in_use', `${name}@${version} is used by ${details.length} journey version(s)`, details);

/** 409: a version of a package whose name another workspace installed first (migrations/0070). */
export const packageOfAnotherWorkspace = (name: string) =>
  new ConflictError(
    `the package ${name} was installed by another workspace: only that workspace's admins install and remove its versions`,
  );

/** 409: a package whose types are under a prefix another workspace's package holds (migrations/0073). */
export const prefixOfAnotherWorkspace = (prefix: string) =>
  new ConflictError(
    `the prefix "${prefix}." belongs to another workspace's package: only that workspace installs packages defining types under it`,
  );
