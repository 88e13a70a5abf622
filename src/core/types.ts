// The public shapes of the core, in one place. Facades translate these into their own JSON (camelCase or snake_case).
import type { ItemState } from './states.ts';

export type Scope = 'runners:read' | 'runners:write' | 'runners:dispatch' | 'admin';
export const SCOPES: readonly Scope[] = ['runners:read', 'runners:write', 'runners:dispatch', 'admin'];

export interface Org {
  id: string;
  slug: string;
  createdAt: Date;
}

export interface ApiKey {
  id: string;
  orgId: string;
  orgSlug: string;
  name: string;
  scopes: Scope[];
  createdAt: Date;
  revokedAt: Date | null;
}

/** Who is calling: resolved from an API key or a JWT, checked against scopes on every route. */
export interface Principal {
  orgId: string;
  orgSlug: string;
  /** Key id, JWT `sub` or `grant:<id>`: the actor recorded in audit trails. */
  actor: string;
  scopes: ReadonlySet<Scope>;
  via: 'api_key' | 'jwt' | 'grant' | 'session';
  /** A permission-grant token is limited to one session. */
  sessionId?: string;
}

export type RunnerStatus = 'online' | 'busy' | 'offline';

export interface Runner {
  orgId: string;
  id: string;
  name: string;
  version: string;
  maxConcurrency: number;
  tags: string[];
  status: RunnerStatus;
  currentJobs: number;
  /** Items this runner holds under a lease right now (server's view; `currentJobs` is the runner's). */
  activeItems: number;
  registeredAt: Date;
  lastHeartbeatAt: Date;
  updatedAt: Date;
}

export interface Item {
  id: string;
  orgId: string;
  profileId: string;
  taskId: string | null;
  state: ItemState;
  phase: string | null;
  requiredTags: string[];
  input: unknown;
  result: unknown;
  resultHash: string | null;
  error: string | null;
  failureReason: string | null;
  runnerId: string | null;
  attempt: number;
  maxAttempts: number;
  leaseTtlMs: number;
  leaseExpiresAt: Date | null;
  lastEventSeq: number;
  harnessRevisionId: string | null;
  metadata: Record<string, unknown>;
  progress: number | null;
  idempotencyKey: string | null;
  idempotencyHash: string | null;
  lastCheckpointSeq: number;
  createdAt: Date;
  updatedAt: Date;
  startedAt: Date | null;
  finishedAt: Date | null;
}

export type EventLevel = 'debug' | 'info' | 'warn' | 'error';

export interface NewEvent {
  type: string;
  level: EventLevel;
  message: string;
  data?: unknown;
  ts?: Date | string;
}

export interface ItemEvent {
  itemId: string;
  seq: number;
  type: string;
  level: EventLevel;
  message: string;
  data: unknown;
  ts: Date;
  receivedAt: Date;
}

/** Identifies a runner write so it can be fenced against the item's current attempt. */
export interface WriterIdentity {
  runnerId?: string | null;
  attempt?: number | null;
}
