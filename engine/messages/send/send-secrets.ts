import type { SendRequest } from '@waymark/sdk';
import { StepSecrets } from '../../credentials/step-secrets.js';
import type { SendingCredential } from '../../sending/senders.js';
import type { StepScope } from '../../services/step-scope.js';

/**
 * The secrets a failed hand-over is hidden from: the step's, joined by what its sender logged in
 * with (its credential's secrets, else `SMTP_URL`'s login), which the messages service read and
 * the node never saw. A provider's refusal may echo them ("invalid API key sk_live_…"), and
 * the step's error, output and `ctx.log` lines then hide them like what the node read itself
 * (SDK.md "Credentials"). Joined only when a hand-over failed: one that went through brings
 * nothing of them back, so a step that read no credential keeps none and stays unscanned.
 *
 * @example
 * const text = sendSecrets(scope, request, credential).text(error.message); // for the message row
 */
export function sendSecrets(scope: StepScope, request: SendRequest, credential: SendingCredential | null): StepSecrets {
  const secrets = scope.secrets ?? new StepSecrets();
  if (credential) secrets.keep(credential.secrets);
  // A request's own `deliver` uses what its node read through `ctx.credentials`: already kept.
  else if (!request.deliver && request.channel === 'email') secrets.keep(scope.runtime.smtp.login);
  return secrets;
}
