import { ValidationError } from '@waymark/sdk';
import { abandonedCart } from './abandoned-cart.js';
import { birthday } from './birthday.js';
import type { JourneyTemplate } from './build.js';
import { newsletter } from './newsletter.js';
import { reEngagement } from './re-engagement.js';
import { webinarFollowUp } from './webinar-follow-up.js';
import { welcomeSeries } from './welcome-series.js';

export type { JourneyTemplate } from './build.js';

/** The gallery of "Create journey", in the order it shows them. */
export const JOURNEY_TEMPLATES: readonly JourneyTemplate[] = Object.freeze([
  welcomeSeries,
  abandonedCart,
  reEngagement,
  webinarFollowUp,
  birthday,
  newsletter,
]);

/**
 * The template a request names at `pointer`; each call gets its own copy, so a caller may
 * change it. An unknown id is a bad request (400 VALIDATION), like any other wrong field.
 */
export function journeyTemplate(id: string, pointer = '/template'): JourneyTemplate {
  const template = JOURNEY_TEMPLATES.find((t) => t.id === id);
  if (!template) {
    throw new ValidationError('the request body is invalid', [
      { path: pointer, message: `no journey template "${id}" (GET /api/journey-templates lists them)` },
    ]);
  }
  return structuredClone(template);
}
