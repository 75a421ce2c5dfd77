import { type Contact, NodeError } from '@waymark/sdk';

/** The run's contact id; CRM nodes act on a contact, so an anonymous run fails the step. */
export function contactIdOf(contact: Contact | null): string {
  if (!contact) throw new NodeError('this node needs a contact, and the run has none', { code: 'crm.no-contact' });
  return contact.id;
}
