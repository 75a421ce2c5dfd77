import type { AnyNodeDefinition, NodeContext } from '@waymark/sdk';
import { createContactsService } from '../../contacts/service.js';
import { createCredentialsService } from '../../credentials/service.js';
import { createHttpClient } from '../../http/client.js';
import { createLeadsService } from '../../leads/service.js';
import { createMessagesService } from '../../messages/service.js';
import type { StepScope } from '../../services/step-scope.js';

/**
 * Told of each service call (service, method, arguments) before it reaches the database; may
 * return what to do with the call's result once it succeeds.
 */
export type ServiceUse = (service: keyof StepServices, method: string, args: readonly unknown[]) => AfterUse;

/** What to do with a service call's result once it succeeds, if anything (now or once known). */
type AfterUse = ((result: unknown) => void) | undefined | Promise<((result: unknown) => void) | undefined>;

/**
 * A service made on first use, so a node that never touches an unfinished service still runs.
 * With `onUse`, every call waits for it first (the services' methods all return promises).
 */
function lazy<T extends object>(make: () => T, onUse?: (method: string, args: readonly unknown[]) => AfterUse): T {
  let made: T | undefined;
  return new Proxy({} as T, {
    get(_target, property) {
      made ??= make();
      const value = Reflect.get(made, property);
      if (typeof value !== 'function') return value;
      if (!onUse) return value.bind(made);
      return async (...args: unknown[]) => {
        const done = await onUse(String(property), args);
        const result = await Reflect.apply(value, made, args);
        done?.(result);
        return result;
      };
    },
  });
}

/** The services a node reaches through `ctx`; production builds them from the step's scope. */
export interface StepServices {
  contacts: NodeContext<never>['contacts'];
  messages: NodeContext<never>['messages'];
  http: NodeContext<never>['http'];
  credentials: NodeContext<never>['credentials'];
  leads: NodeContext<never>['leads'];
}

/**
 * The services of a production step, acting on the database: each made when the node first
 * reaches for it (most nodes use one or none, and a step is made thousands of times a second;
 * a class, so that its getters are its prototype's, not five new closures a step).
 */
class ProductionServices implements StepServices {
  readonly #made: Partial<StepServices> = {};

  constructor(
    private readonly scope: StepScope,
    private readonly definition: AnyNodeDefinition,
    private readonly onUse: ServiceUse | undefined,
  ) {}

  #use(service: keyof StepServices) {
    const { onUse } = this;
    return onUse ? (method: string, args: readonly unknown[]) => onUse(service, method, args) : undefined;
  }

  get contacts() {
    this.#made.contacts ??= lazy(() => createContactsService(this.scope), this.#use('contacts'));
    return this.#made.contacts;
  }

  get messages() {
    this.#made.messages ??= lazy(() => createMessagesService(this.scope), this.#use('messages'));
    return this.#made.messages;
  }

  get http() {
    this.#made.http ??= lazy(() => createHttpClient(this.scope), this.#use('http'));
    return this.#made.http;
  }

  get credentials() {
    this.#made.credentials ??= lazy(
      () => createCredentialsService(this.scope, this.definition.credentials ?? []),
      this.#use('credentials'),
    );
    return this.#made.credentials;
  }

  get leads() {
    this.#made.leads ??= lazy(() => createLeadsService(this.scope), this.#use('leads'));
    return this.#made.leads;
  }
}

/** The services of a production step (`ProductionServices`). */
export function productionServices(scope: StepScope, definition: AnyNodeDefinition, onUse?: ServiceUse): StepServices {
  return new ProductionServices(scope, definition, onUse);
}
