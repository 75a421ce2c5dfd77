import { definePackage } from '@waymark/sdk';
import createLead from './create-lead.js';
import list from './list.js';
import tag from './tag.js';
import updateContact from './update-contact.js';

/** The built-in contact store: attributes, tags, lists and leads. */
export default definePackage({
  name: '@waymark/nodes-crm',
  version: '0.1.0',
  nodes: [updateContact, tag, list, createLead],
});
