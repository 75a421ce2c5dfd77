import { scaled } from '../database.js';
import { auth, createInstance, importContacts } from '../instance.js';
import { type BenchResult, percentile } from '../result.js';

const COUNTRIES = ['FI', 'SE', 'DE', 'FR', 'US'];

/** Segment preview over 100k contacts with a three-clause filter: median milliseconds. */
export async function segmentPreview(): Promise<BenchResult[]> {
  const contacts = scaled(100_000);
  const instance = await createInstance();
  try {
    await importContacts(instance.app, contacts, (i) => ({
      country: COUNTRIES[i % 5],
      age: 18 + (i % 60),
      plan: i % 3 ? 'free' : 'pro',
    }));
    const filter = {
      all: [
        { attr: 'country', op: 'eq', value: 'FI' },
        { attr: 'age', op: 'gte', value: 40 },
        { attr: 'plan', op: 'in', value: ['pro'] },
      ],
    };
    const url = `/api/contacts?segment=${encodeURIComponent(JSON.stringify(filter))}&limit=50`;
    const times: number[] = [];
    let total = 0;
    for (let i = 0; i < 21; i++) {
      const started = performance.now();
      const res = await instance.app.inject({ method: 'GET', url, headers: auth });
      times.push(performance.now() - started);
      if (res.statusCode !== 200) throw new Error(`preview: ${res.statusCode} ${res.body.slice(0, 200)}`);
      total = (res.json() as { total: number }).total;
    }
    const sorted = times.slice(1).sort((a, b) => a - b);
    return [
      {
        workload: 'segments: preview, 3 clauses',
        metric: 'median',
        value: Math.round(percentile(sorted, 50)),
        unit: 'ms',
        notes: `${contacts} contacts, ${total} match; goal < 200 ms`,
      },
    ];
  } finally {
    await instance.close();
  }
}
