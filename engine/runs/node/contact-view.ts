import type { Contact, TagState } from '@waymark/sdk';
import type { KnownView } from './context.js';
import type { ServiceUse, StepServices } from './services.js';

/** What a finished step saw, handed on to the inline steps after it. */
export interface StepView extends KnownView {
  /** The node changed the contact in a way not patched in: the next step reads it again. */
  contactChanged: boolean;
}

/** Notes in `view` what the step's `ctx` shows; returns the ctx. */
export function seeing<C extends KnownView>(view: StepView, ctx: C): C {
  view.contact = ctx.contact;
  view.steps = ctx.steps;
  return ctx;
}

const READS = new Set(['get', 'matches']);

/**
 * Keeps `view.contact` true to the database across a step's service calls: a tag added or
 * removed, or an update, is patched in from the call and its result (exactly what the
 * database now holds); any other contact write marks the view for a fresh read.
 */
export function watchContact(
  view: StepView,
  service: keyof StepServices,
  method: string,
  args: readonly unknown[],
): ((result: unknown) => void) | undefined {
  if (service !== 'contacts' || READS.has(method)) return undefined;
  const ours = view.contact !== null && args[0] === view.contact.id;
  // A tag write or an event moves computed values in the database too (contract identity.md
  // "Values stay current"): a contact holding computed values is read again rather than patched.
  const movesComputed = method === 'addTag' || method === 'removeTag' || method === 'recordEvent';
  if (ours && movesComputed && Object.keys(view.contact?.computed ?? {}).length > 0) {
    view.contactChanged = true;
    return undefined;
  }
  if (method === 'recordEvent') return undefined;
  if (ours && method === 'addTag') return (result) => patch(view, (c) => withTag(c, result as TagState));
  if (ours && method === 'removeTag') {
    const tag = args[1];
    return () => patch(view, (c) => ({ ...c, tags: c.tags.map((t) => (t.tag === tag ? { ...t, active: false } : t)) }));
  }
  if (ours && method === 'update') return (result) => patch(view, () => result as Contact);
  view.contactChanged = true;
  return undefined;
}

/**
 * `watchContact` for one step's view, as its services' `onServiceUse`. Returned, not assigned:
 * tsx names an arrow assigned to a name (a defineProperty a step), and a bound function
 * builds its "bound …" name.
 */
export function contactWatcher(view: StepView): ServiceUse {
  return (service, method, args) => watchContact(view, service, method, args);
}

function patch(view: StepView, change: (contact: Contact) => Contact): void {
  if (view.contact) view.contact = change(view.contact);
}

function withTag(contact: Contact, tag: TagState): Contact {
  const tags = [...contact.tags.filter((t) => t.tag !== tag.tag), tag].sort((a, b) => (a.tag < b.tag ? -1 : 1));
  return { ...contact, tags };
}
