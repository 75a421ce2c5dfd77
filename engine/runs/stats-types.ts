// The stats answer's shape apart from the query that sums it: no runtime imports, so the
// editor reads the same types (type-only) without the engine's database code.

export interface NodeStats {
  entered: number;
  completed: number;
  failed: number;
  waiting: number;
}

/** `GET /api/journeys/:id/stats`: per-node counts and how often each output was taken. */
export interface JourneyStats {
  nodes: Record<string, NodeStats>;
  outputs: Record<string, Record<string, number>>;
}
