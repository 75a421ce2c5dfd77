/**
 * A version number a request names (path, query or body): versions are PostgreSQL integers,
 * so a larger number is refused here (400) rather than failing the query that compares it.
 */
export const versionNumber = { type: 'integer', minimum: 1, maximum: 2_147_483_647 } as const;
