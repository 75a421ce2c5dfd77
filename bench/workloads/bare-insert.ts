import Fastify from 'fastify';
import { sql } from 'kysely';
import { createBenchDatabase } from '../database.js';
import { cpuNote, load } from '../load.js';
import type { BenchResult } from '../result.js';

/** The floor of any webhook: a bare fastify route doing one INSERT, on the same database server. */
export async function bareInsert(): Promise<{ rows: BenchResult[]; rps: number }> {
  const bench = await createBenchDatabase(20);
  const app = Fastify();
  try {
    await sql`create table bare (id bigserial primary key, body jsonb not null, created_at timestamptz default now())`.execute(
      bench.db,
    );
    app.post('/bare', async (request, reply) => {
      await bench.pool.query('insert into bare (body) values ($1)', [JSON.stringify(request.body)]);
      return reply.code(202).send({ ok: true });
    });
    await app.listen({ port: 0, host: '127.0.0.1' });
    const { port } = app.server.address() as { port: number };
    const figures = await load({
      url: `http://127.0.0.1:${port}/bare`,
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      bodies: [JSON.stringify({ email: 'ada@example.com', plan: 'pro' })],
    });
    return {
      rps: figures.rps,
      rows: [
        {
          workload: 'ceiling: bare fastify INSERT',
          metric: 'req/s',
          value: Math.round(figures.rps),
          unit: 'req/s',
          notes: `p50 ${figures.p50} ms, p99 ${figures.p99} ms; ${cpuNote(figures)}`,
        },
      ],
    };
  } finally {
    await app.close();
    await bench.drop();
  }
}
