/**
 * What the live feed (API.md "Live feed") carries, apart from the code that sends it: no runtime
 * imports, so the editor reads the same types (type-only) without the engine's database code.
 */

/** What the live feed carries for each finished step (`retried`: a failed step taken up again by a retry). */
export interface StepNotice {
  journeyId: string;
  version: number;
  runId: string;
  nodeId: string;
  status: 'completed' | 'failed' | 'waiting' | 'retried';
}

/** A message of `GET /api/live`'s websocket: one finished step. */
export interface LiveStep extends StepNotice {
  type: 'step';
}
