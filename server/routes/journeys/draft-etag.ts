import { ValidationError } from '@waymark/sdk';
import type { FastifyReply } from 'fastify';
import type { Journey, JourneyAnswer } from '../../../engine/journeys/types.js';

/** The strong entity tag of a journey answer: the draft's revision, quoted (RFC 9110 8.8.3). */
export const draftEtag = (revision: number): string => `"${revision}"`;

/** Sends a journey with the ETag of its draft; the revision stays out of the body. */
export function withDraftEtag(reply: FastifyReply, journey: Journey): JourneyAnswer {
  const { draftRevision, ...body } = journey;
  reply.header('ETag', draftEtag(draftRevision));
  return body;
}

// One entity tag of an If-Match list: optional W/, then a quoted run of etagc (RFC 9110 8.8.3).
const ENTITY_TAG = /^(W\/)?"([\x21\x23-\x7e\x80-\xff]*)"$/;

/**
 * The draft revisions an If-Match header lets a save go on from; undefined when there is no
 * condition (no header, or `*`: a journey always has a draft). If-Match compares strongly
 * (RFC 9110 13.1.1), so a weak tag or one this server never sent matches no revision.
 */
export function ifMatchRevisions(header: string | undefined): number[] | undefined {
  if (header === undefined) return undefined;
  const members = header.split(',').map((member) => member.trim());
  if (members.length === 1 && members[0] === '*') return undefined;
  const revisions: number[] = [];
  for (const member of members) {
    if (member === '') continue;
    const tag = ENTITY_TAG.exec(member);
    if (!tag) {
      throw new ValidationError('the If-Match header is invalid', [
        { message: `headers/if-match must be * or a list of quoted entity tags such as "3", not ${member}` },
      ]);
    }
    if (!tag[1] && /^[1-9][0-9]{0,9}$/.test(tag[2] ?? '')) revisions.push(Number(tag[2]));
  }
  return revisions;
}
