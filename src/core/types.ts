// The public shapes of the core, in one place. Facades translate these into their own JSON (camelCase or snake_case).
import type { ItemState } from './states.ts';

export type Scope = 'runners:read' | 'runners:write' | 'runners:dispatch' | 'runners:approve' | 'admin';
export const SCOPES: readonly Scope[] = [
  'runners:read',
  'runners:write',
  'runners:dispatch',
  'runners:approve',
  'admin',
];

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
  /** `runner` keys must identify the attempt of every task write (fencing cannot be skipped). */
  kind: KeyKind;
  createdAt: Date;
  revokedAt: Date | null;
  /** After this instant the key authenticates nothing; null: it does not expire. */
  expiresAt: Date | null;
}

export type KeyKind = 'standard' | 'runner';

/** Who is calling: resolved from an API key or a JWT, checked against scopes on every route. */
export interface Principal {
  orgId: string;
  orgSlug: string;
  /** Key id, JWT `sub` or `grant:<id>`: the actor recorded in audit trails. */
  actor: string;
  scopes: ReadonlySet<Scope>;
  via: 'api_key' | 'jwt' | 'grant' | 'session';
  /** True for a runner key: its task writes must carry their attempt. */
  runnerKey?: boolean;
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
  /** The current instance (one register of this id); null after deregistering. */
  instanceId: string | null;
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
  /** The runner instance (one register of the runner id) that holds the lease. */
  runnerInstance: string | null;
  claimedAt: Date | null;
  attempt: number;
  maxAttempts: number;
  leaseTtlMs: number;
  leaseExpiresAt: Date | null;
  lastEventSeq: number;
  harnessRevisionId: string | null;
  /** The profile policy version in force at dispatch; null when the profile had none (the defaults apply). */
  policyVersion: number | null;
  /** The session this one replays, if any. */
  replayOf: string | null;
  /** The sessions that replay this one, oldest first. */
  replays: string[];
  metadata: Record<string, unknown>;
  progress: number | null;
  idempotencyKey: string | null;
  idempotencyHash: string | null;
  lastCheckpointSeq: number;
  /** The session's own budget limits, over its pinned policy's (null: the policy's alone). */
  budget: Budgets | null;
  /** Summed from its `usage` events. */
  usageTokens: number;
  usageCostUsd: number;
  /** The server asked the runner to pause the session (a budget was reached); null otherwise. */
  pauseRequestedAt: Date | null;
  /** Why the session was asked to pause or is paused by the server (`budget_reached`); null otherwise. */
  pauseReason: string | null;
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

/**
 * Who writes to an item. A write that names its attempt, runner or instance is a runner's and is fenced against the
 * item's current attempt; one that names none is an operator's. A runner key must always name its attempt.
 */
export interface WriterIdentity {
  runnerId?: string | null;
  attempt?: number | null;
  instance?: string | null;
  /** Made with a runner key (see KeyKind). */
  runnerKey?: boolean;
  /** The audit actor of an operator write. */
  actor?: string | null;
}

export interface Artifact {
  id: string;
  orgId: string;
  itemId: string;
  name: string;
  contentType: string;
  size: number;
  sha256: string;
  createdAt: Date;
}

export interface Checkpoint {
  seq: number;
  data: unknown;
  createdAt: Date;
}

export interface Grant {
  id: string;
  orgId: string;
  itemId: string;
  scope: string;
  reason: string;
  resource: string | null;
  createdBy: string;
  createdAt: Date;
  expiresAt: Date;
  revokedAt: Date | null;
  /** By the database clock. */
  status: 'active' | 'expired' | 'revoked';
}

export interface Profile {
  orgId: string;
  id: string;
  name: string;
  description: string;
  executionTarget: string;
  status: 'active' | 'archived';
  builtin: boolean;
  /** Set while the profile's kill switch is on: no dispatch, its sessions were cancelled. */
  suspendedAt: Date | null;
  suspendedReason: string | null;
  createdAt: Date;
  updatedAt: Date;
}

export interface HarnessRevision {
  id: string;
  profileId: string;
  version: string;
  imageRef: string;
  createdAt: Date;
}

export interface PullRequestRef {
  provider: 'github' | 'gitlab';
  repository: string;
  number: number;
}

export interface ReviewRecord {
  id: string;
  orgId: string;
  pullRequest: PullRequestRef | null;
  createdAt: Date;
  /** Comment posting over all destinations: pending | delivered | failed; null when there is nothing to post. */
  delivery: string | null;
  deliveryError: string | null;
  item: Item;
}

/** One rule of a profile policy: the first rule whose scope and resource glob match a permission request decides. */
export interface PermissionRule {
  scope: string;
  /** A glob over the requested resource: `*` matches any run of characters but `/`, `**` any run at all. */
  resource: string;
  action: 'allow' | 'ask' | 'deny';
  /** The longest a grant under this rule may live. */
  maxTtlSeconds?: number;
}

/** What a profile's sessions may spend; each limit optional. */
export interface Budgets {
  maxWallSeconds?: number;
  maxTokens?: number;
  maxCostUsd?: number;
}

/** The rules of one policy version, as stored. */
export interface PolicyRules {
  permissions: PermissionRule[];
  budgets: Budgets;
  cancelGraceSeconds: number;
}

export type PermissionRequestState = 'pending' | 'approved' | 'denied' | 'expired';

/** A session's request for a grant, asked by one attempt and decided by its policy or a person. */
export interface PermissionRequest {
  id: string;
  orgId: string;
  sessionId: string;
  /** The attempt that asked: the only one the grant's token is handed to. */
  attempt: number;
  runnerId: string | null;
  scope: string;
  resource: string;
  reason: string;
  ttlSeconds: number;
  state: PermissionRequestState;
  /** `policy` when a rule decided; else the deciding person's actor; null while pending or once expired. */
  decidedBy: string | null;
  /** The index of the rule that matched; null when none did (the default `ask`). */
  ruleIndex: number | null;
  note: string | null;
  /** The grant minted for the token, once it was handed out. */
  grantId: string | null;
  grantExpiresAt: Date | null;
  tokenDelivered: boolean;
  createdAt: Date;
  /** When a pending request expires at the latest. */
  expiresAt: Date;
  decidedAt: Date | null;
}

export interface PolicyVersion {
  profileId: string;
  version: number;
  rules: PolicyRules;
  createdBy: string | null;
  createdAt: Date;
}
