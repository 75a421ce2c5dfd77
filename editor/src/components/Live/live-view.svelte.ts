import { createContext } from 'svelte';
import type { Api } from '../../lib/api/client.ts';
import type { Analytics } from '../../lib/api/experiments.ts';
import type { JourneyFailures, JourneyStats, LiveStep, NodeStats, Run, RunDetail } from '../../lib/api/types/runs.ts';
import { errorMessage } from '../../lib/util/format.ts';
import { RunList } from './run-list.svelte.ts';

const EMPTY: NodeStats = { entered: 0, completed: 0, failed: 0, waiting: 0 };

/**
 * Counters per node from `GET …/stats`, nudged by each websocket step and re-read at most once
 * a second so they stay exact; plus one run's path for the run inspector.
 */
export class LiveView {
  enabled = $state(false);
  connected = $state(false);
  stats = $state.raw<JourneyStats | null>(null);
  /** Conversions per node over the last 90 days, from the analytics rollups (null: none read). */
  conversions = $state.raw<Analytics['nodes'] | null>(null);
  recent = $state.raw<LiveStep[]>([]);
  runs = $state.raw<Run[]>([]);
  run = $state.raw<RunDetail | null>(null);
  error = $state<string | null>(null);
  /** The failures view (runs failed now, by node and code): red counts and the failures panel. */
  failures = $state.raw<JourneyFailures | null>(null);
  /** The node whose failures panel is open. */
  failuresNode = $state<string | null>(null);
  /** Node ids that just saw a step, for a short pulse. */
  pulsing = $state.raw<ReadonlySet<string>>(new Set());

  pathNodes = $derived(new Set(this.run?.steps.map((s) => s.nodeId) ?? []));

  #socket: WebSocket | null = null;
  #journeyId = '';
  #version: number | null = null;
  #refetch: ReturnType<typeof setTimeout> | null = null;
  #retry: ReturnType<typeof setTimeout> | null = null;
  /** Bumped by stop(), so a connection whose ticket arrives after it opens nothing. */
  #generation = 0;

  /** The runs behind a count on the canvas (a node's waiting, done or failed, an edge's). */
  readonly list: RunList;

  constructor(private readonly api: Api) {
    this.list = new RunList(
      api,
      () => this.#journeyId,
      () => this.#version,
    );
  }

  statsFor(nodeId: string): NodeStats {
    return this.stats?.nodes[nodeId] ?? EMPTY;
  }

  /** Points the view at a journey without opening the feed (the runs list needs no counters). */
  attach(journeyId: string, version: number | null): void {
    this.#journeyId = journeyId;
    this.#version = version;
  }

  async start(journeyId: string, version: number | null): Promise<void> {
    this.stop();
    this.enabled = true;
    this.attach(journeyId, version);
    await Promise.all([this.loadStats(), this.loadRuns()]);
    void this.#connect();
  }

  stop(): void {
    this.#generation++;
    this.enabled = false;
    this.connected = false;
    if (this.#retry) clearTimeout(this.#retry);
    if (this.#refetch) clearTimeout(this.#refetch);
    this.#retry = this.#refetch = null;
    const socket = this.#socket;
    this.#socket = null;
    socket?.close();
  }

  get journeyId(): string {
    return this.#journeyId;
  }

  /** Opens the failures panel of a node. */
  openFailures(nodeId: string): void {
    this.failuresNode = nodeId;
    void this.loadFailures();
  }

  async loadFailures(): Promise<void> {
    try {
      this.failures = await this.api.get<JourneyFailures>(`/api/journeys/${this.#journeyId}/failures`);
    } catch (error) {
      this.error = errorMessage(error);
    }
  }

  async loadStats(): Promise<void> {
    void this.loadFailures();
    try {
      // Every conversion so far (2,000 days is inside the 2,400-bucket limit), to match the all-time
      // counters, of the same version: a node's rate is its converted over its entered.
      const from = new Date(Date.now() - 2000 * 86_400_000).toISOString();
      const version = this.#version ?? undefined;
      const [stats, analytics] = await Promise.all([
        this.api.get<JourneyStats>(`/api/journeys/${this.#journeyId}/stats`, { version }),
        this.api
          .get<Analytics>(`/api/journeys/${this.#journeyId}/analytics`, { bucket: 'day', from, version })
          .catch(() => null),
      ]);
      this.stats = stats;
      this.conversions = analytics?.nodes ?? null;
      this.error = null;
    } catch (error) {
      this.error = errorMessage(error);
    }
  }

  async loadRuns(): Promise<void> {
    try {
      const res = await this.api.get<{ runs: Run[] }>('/api/runs', { journeyId: this.#journeyId, limit: 50 });
      this.runs = res.runs;
    } catch (error) {
      this.error = errorMessage(error);
    }
  }

  async openRun(id: string): Promise<void> {
    try {
      this.run = await this.api.get<RunDetail>(`/api/runs/${id}`);
    } catch (error) {
      this.error = errorMessage(error);
    }
  }

  /** Sends a failed run on from its failed step (`POST /api/runs/:id/retry`) and shows it. */
  async retryRun(id: string): Promise<void> {
    try {
      this.run = await this.api.post<RunDetail>(`/api/runs/${id}/retry`, {});
      void this.loadStats();
      void this.loadRuns();
    } catch (error) {
      this.error = errorMessage(error);
    }
  }

  closeRun(): void {
    this.run = null;
  }

  async #connect(): Promise<void> {
    const generation = this.#generation;
    let url: string;
    try {
      url = await this.api.liveUrl(this.#journeyId);
    } catch (error) {
      if (generation !== this.#generation) return;
      this.error = errorMessage(error);
      this.#retry = setTimeout(() => this.enabled && this.#connect(), 3000);
      return;
    }
    if (generation !== this.#generation) return;
    const socket = new WebSocket(url);
    this.#socket = socket;
    socket.onopen = () => {
      this.connected = true;
      // Steps taken between the last read and this subscription (the first read, or a dropped
      // connection) reach no socket: read the counters again now that none can slip past.
      void this.loadStats();
    };
    socket.onmessage = (event) => this.#onMessage(String(event.data));
    socket.onclose = () => {
      if (this.#socket !== socket) return;
      this.connected = false;
      // The server drops slow clients and restarts happen: reconnect while the view is open.
      this.#retry = setTimeout(() => this.enabled && this.#connect(), 3000);
    };
  }

  #onMessage(data: string): void {
    let step: LiveStep;
    try {
      step = JSON.parse(data) as LiveStep;
    } catch {
      return;
    }
    if (step.type !== 'step' || step.journeyId !== this.#journeyId) return;
    if (this.#version !== null && step.version !== this.#version) return;
    this.recent = [step, ...this.recent].slice(0, 30);
    this.#bump(step);
    this.#pulse(step.nodeId);
    if (this.run?.id === step.runId) void this.openRun(step.runId);
    this.#refetch ??= setTimeout(() => {
      this.#refetch = null;
      void this.loadStats();
    }, 1000);
  }

  /** An optimistic count until the next stats read replaces it with the exact one. */
  #bump(step: LiveStep): void {
    const current = { ...this.statsFor(step.nodeId) };
    current.entered++;
    if (step.status === 'completed') current.completed++;
    else if (step.status === 'failed') current.failed++;
    else if (step.status === 'waiting') current.waiting++;
    const base = this.stats ?? { nodes: {}, outputs: {} };
    this.stats = { ...base, nodes: { ...base.nodes, [step.nodeId]: current } };
  }

  #pulse(nodeId: string): void {
    this.pulsing = new Set([...this.pulsing, nodeId]);
    setTimeout(() => {
      const next = new Set(this.pulsing);
      next.delete(nodeId);
      this.pulsing = next;
    }, 700);
  }
}

export const [getLive, setLive] = createContext<LiveView>();
