import type { TestApp } from '../support/runtime.js';

/** `POST /api/templates/:id/preview` of an HTML draft with this body (the template need not exist). */
export const previewDraft = (t: TestApp, body: string) =>
  t.app.inject({
    method: 'POST',
    url: '/api/templates/x/preview',
    headers: t.auth,
    payload: { draft: { format: 'html', subject: 'Hi', body } },
  });
