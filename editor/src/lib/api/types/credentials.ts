/**
 * Credentials as the editor reads them (shared/API.md): the engine's answers, typed once
 * there (type-only: nothing of it is bundled). A type's schema is read as the form reads one.
 */

import type { CredentialTypeView } from '../../../../../engine/credentials/types.ts';
import type { Schema } from './catalogue.ts';

export type { CredentialView as Credential } from '../../../../../engine/credentials/types.ts';

/** A credential type as `GET /api/credential-types` lists it (server/README.md "Credential types"). */
export type CredentialType = Omit<CredentialTypeView, 'schema'> & { schema: Schema };
