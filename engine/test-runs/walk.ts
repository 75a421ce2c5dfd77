import { randomUUID } from 'node:crypto';
import {
  addDuration,
  type Contact,
  type ContactEvent,
  evaluateFilter,
  type Filter,
  type JsonObject,
  type JsonValue,
  parseDuration,
  type Resume,
  triggerOutputOf,
} from '@waymark/sdk';
import { type Completion, decideTrigger, fail, type Transition } from '../runs/kernel/decide.js';
import type { RunRow } from '../runs/node/context.js';
import { type CompiledVersion, definitionOf } from '../runs/versions.js';
import type { Runtime } from '../runtime.js';
import { executeTestStep } from './execute.js';
import { SimulatedContacts } from './render-contacts.js';
import { SimulatedOutbox } from './render-messages.js';
import { SimulatedLeads, type Simulation } from './render-services.js';
import { Agenda } from './simulated-clock.js';
import type { TestEvent, TestRunResult, TestStep } from './types.js';

/** A walk stops here even on a graph whose forks multiply the paths. */
export const MAX_TEST_STEPS = 500;
const MAX_RESUMES = 20;

/** A token: where it stands and the outputs of the steps on its path. */
interface Token {
  nodeId: string;
  path: Record<string, { output: JsonValue }>;
}

interface WalkStep {
  /** The step's id: its idempotency key, the same across retries and resumes. */
  key: string;
  entry: TestStep;
  resumes: number;
}

/** A token parked until a matching event arrives, or its timeout at `wakeAt`. */
interface EventWait {
  step: WalkStep;
  token: Token;
  event: string;
  filter: unknown;
  wakeAt: Date;
}

type Work =
  | { kind: 'enter'; token: Token }
  // `parked`: a timeout, which comes only while its wait still stands (no event took it first).
  | { kind: 'resume'; token: Token; step: WalkStep; resume: Resume; parked?: EventWait }
  | { kind: 'event'; event: ContactEvent };

export interface WalkInput {
  runtime: Runtime;
  workspaceId: string;
  version: CompiledVersion;
  triggerNodeId: string;
  contact: Contact | null;
  trigger: JsonObject;
  /** The stored event a `core.event` trigger started from: the contact has it from the start. */
  triggerEvent?: ContactEvent | null;
  events: TestEvent[];
  live: boolean;
  startAt: Date;
}

/**
 * One test run: tokens move through the graph as in production, each step running the
 * node's own code through `invokeNode` with render-only services, on a simulated clock
 * (waits end at once, later steps carry the time they would run at). See API.md "Test runs".
 */
class Walk {
  readonly #agenda: Agenda<Work>;
  readonly #steps: TestStep[] = [];
  readonly #simulation: Simulation;
  readonly #run: RunRow;
  readonly #used = new Set<TestEvent>();
  readonly #eventWaits = new Set<EventWait>();
  #status: TestRunResult['status'] = 'completed';
  #outcome: string | undefined;
  #ended = false;

  constructor(private readonly input: WalkInput) {
    this.#agenda = new Agenda(input.startAt);
    const contacts = new SimulatedContacts(input.runtime.db, input.workspaceId, () => this.#agenda.now, input.contact);
    this.#simulation = {
      contacts,
      outbox: new SimulatedOutbox(contacts),
      leads: new SimulatedLeads(),
      live: input.live,
    };
    this.#run = {
      id: randomUUID(),
      workspaceId: input.workspaceId,
      journeyId: input.version.journeyId,
      version: input.version.version,
      contactId: input.contact?.id ?? null,
      trigger: input.trigger,
      triggerNodeId: input.triggerNodeId,
      startedAt: input.startAt.toISOString(),
    };
  }

  async run(): Promise<TestRunResult> {
    this.#start();
    for (let work = this.#agenda.next(); work && !this.#ended; work = this.#agenda.next()) {
      const item = work.item;
      if (item.kind === 'event') this.#arrive(item.event);
      else if (item.kind === 'resume') {
        if (!item.parked || this.#eventWaits.delete(item.parked))
          await this.#resume(item.step, item.token, item.resume);
      } else if (this.#steps.length >= MAX_TEST_STEPS) {
        const entry = this.#newStep(item.token.nodeId);
        const stop = fail(item.token.nodeId, {
          message: `the test run stops after ${MAX_TEST_STEPS} steps`,
          code: 'too_many_steps',
          attempts: 0,
          retryable: false,
        });
        this.#settle({ key: '', entry, resumes: 0 }, item.token, stop);
      } else
        await this.#execute({ key: randomUUID(), entry: this.#newStep(item.token.nodeId), resumes: 0 }, item.token);
    }
    return {
      status: this.#status,
      ...(this.#outcome !== undefined ? { outcome: this.#outcome } : {}),
      steps: this.#steps,
      messages: this.#simulation.outbox.messages,
      contact: this.#simulation.contacts.current(this.#run.contactId),
    };
  }

  /** The trigger step, as production records it: not run, leaving by its first output with the payload. */
  #start(): void {
    const { version, triggerNodeId, trigger, runtime } = this.input;
    const node = version.nodes.get(triggerNodeId);
    const definition = node ? definitionOf(runtime.registry, node, version) : null;
    const output = definition && node ? triggerOutputOf(definition, node.params) : 'out';
    if (this.input.triggerEvent) this.#simulation.contacts.addEvent(this.input.triggerEvent);
    const entry = this.#newStep(triggerNodeId);
    Object.assign(entry, { next: output, output: trigger, attempts: 1 });
    this.#passed(triggerNodeId);
    this.#fork(decideTrigger(version, triggerNodeId, output), { [triggerNodeId]: { output: trigger } });
  }

  #newStep(nodeId: string): TestStep {
    const entry: TestStep = {
      nodeId,
      status: 'completed',
      next: null,
      at: this.#agenda.now.toISOString(),
      attempts: 0,
    };
    this.#steps.push(entry);
    return entry;
  }

  async #resume(step: WalkStep, token: Token, resume: Resume): Promise<void> {
    step.resumes += 1;
    step.entry.resumedAt = this.#agenda.now.toISOString();
    step.entry.resumedBy = resume.kind;
    await this.#execute(step, token, resume);
  }

  async #execute(step: WalkStep, token: Token, resume: Resume | null = null): Promise<void> {
    const transition = await executeTestStep({
      runtime: this.input.runtime,
      version: this.input.version,
      run: this.#run,
      simulation: this.#simulation,
      clock: this.#agenda,
      key: step.key,
      node: this.input.version.nodes.get(token.nodeId),
      entry: step.entry,
      path: token.path,
      resume,
    });
    this.#settle(step, token, transition);
  }

  /** Records the kernel's transition on the step's entry and moves the token as production would. */
  #settle(step: WalkStep, token: Token, transition: Transition) {
    const { entry } = step;
    if (transition.kind === 'fail' || transition.kind === 'retry') {
      Object.assign(entry, { status: 'failed', error: transition.error });
      return this.#finish('failed');
    }
    if (transition.output !== null) entry.output = transition.output;
    if (transition.kind === 'park') {
      entry.status = 'waiting';
      if (step.resumes >= MAX_RESUMES) {
        Object.assign(entry, { status: 'failed', error: { message: 'the node kept waiting', code: 'too_many_waits' } });
        return this.#finish('failed');
      }
      const { wait, wakeAt } = transition;
      if (!wait) return this.#agenda.schedule(wakeAt, { kind: 'resume', token, step, resume: { kind: 'time' } });
      // As in production, any matching event that comes while the token waits resumes it: one
      // named after this node, or one named after an earlier node that comes later (`delay`).
      const parked: EventWait = { step, token, event: wait.event, filter: wait.filter, wakeAt };
      this.#eventWaits.add(parked);
      this.#passed(token.nodeId);
      return this.#agenda.schedule(wakeAt, { kind: 'resume', token, step, resume: { kind: 'timeout' }, parked });
    }
    Object.assign(entry, {
      // A failure that `onError` sent on: failed, yet the token goes on as in production.
      status: transition.error ? 'failed' : 'completed',
      ...(transition.error ? { error: transition.error } : {}),
      next: transition.outputs.length === 1 ? transition.outputs[0] : transition.outputs,
    });
    if (transition.end) {
      if (transition.end.goal !== null) this.#outcome = transition.end.goal;
      return this.#finish('completed');
    }
    const exitOn = this.input.version.settings.exitOn;
    if (this.#run.contactId && entry.writes?.some((w) => w.op === 'recordEvent' && exitOn.includes(String(w.name))))
      return this.#finish('exited');
    this.#passed(token.nodeId);
    this.#fork(transition, { ...token.path, [token.nodeId]: { output: transition.output } });
  }

  /**
   * Schedules the request's events named after a node the token has now passed (each event
   * once), and returns them. An anonymous walk has no contact to record events on.
   */
  #passed(nodeId: string): ContactEvent[] {
    const contactId = this.#run.contactId;
    if (!contactId) return [];
    const now = this.#agenda.now;
    const events = this.input.events
      .filter((e) => e.afterNode === nodeId && !this.#used.has(e))
      .map((e) => {
        this.#used.add(e);
        const timestamp = (e.delay && parseDuration(e.delay) !== null ? addDuration(now, e.delay) : now).toISOString();
        return { id: randomUUID(), contactId, name: e.name, properties: e.properties ?? {}, timestamp };
      });
    for (const event of events) this.#agenda.schedule(new Date(event.timestamp), { kind: 'event', event });
    return events;
  }

  /**
   * An event comes in: conditions see it from now on, an `exitOn` event ends the run, and it
   * resumes every wait for it that stands (production resumes the contact's matching waits in
   * the transaction that stores the event).
   */
  #arrive(event: ContactEvent): void {
    this.#simulation.contacts.addEvent(event);
    if (this.input.version.settings.exitOn.includes(event.name)) {
      this.#finish('exited');
      return;
    }
    for (const parked of this.#eventWaits) {
      if (parked.event !== event.name || Date.parse(event.timestamp) >= parked.wakeAt.getTime()) continue;
      const matches =
        parked.filter === null ||
        evaluateFilter(parked.filter as Filter, {
          // A tag or list clause reads the contact as the walk has it then.
          contact: this.#simulation.contacts.current(this.#run.contactId),
          properties: event.properties,
          now: new Date(event.timestamp),
        });
      if (!matches) continue;
      this.#eventWaits.delete(parked);
      this.#agenda.schedule(new Date(event.timestamp), {
        kind: 'resume',
        token: parked.token,
        step: parked.step,
        resume: { kind: 'event', event },
      });
    }
  }

  /** A new token for each node the transition goes on to. */
  #fork(transition: Completion, path: Token['path']): void {
    for (const target of transition.next) {
      this.#agenda.schedule(this.#agenda.now, { kind: 'enter', token: { nodeId: target, path } });
    }
  }

  #finish(status: TestRunResult['status']): void {
    this.#status = status;
    this.#ended = true;
    this.#agenda.clear();
  }
}

/**
 * Walks a compiled graph for one contact and answers what each step did, what each message
 * would have been, and the contact as the walk left it. Writes nothing anywhere.
 *
 * @example
 * const result = await walkTestRun({ runtime, workspaceId, version, triggerNodeId: 'hook', contact, trigger: {}, events: [], live: false, startAt: new Date() });
 */
export function walkTestRun(input: WalkInput): Promise<TestRunResult> {
  return new Walk(input).run();
}
