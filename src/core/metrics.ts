// What an operator and an autoscaler need to see, as Prometheus metrics (prom-client). Counters are bumped where the
// engine acts; queue depth, runner counts and pool use are read when scraped. One registry per core, so several
// servers in one process (tests) do not mix their figures.
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import type { Db } from '../store/db.ts';
import { pendingRequestsByOrg } from '../store/sql/permission-requests.ts';
import { type QueueFigure, queueFigures, runnerCounts } from '../store/sql/queues.ts';

export interface PoolStats {
  total: number;
  idle: number;
  waiting: number;
}

export class Metrics {
  readonly registry = new Registry();
  readonly claims = new Counter({
    name: 'runplane_claims_total',
    help: 'Work items handed to runners (each claimed item counts once)',
    registers: [this.registry],
  });
  readonly claimAttempts = new Counter({
    name: 'runplane_claim_attempts_total',
    help: 'Claim statements run (found work or not): what parked long polls cost the database',
    registers: [this.registry],
  });
  readonly dispatchToClaim = new Histogram({
    name: 'runplane_dispatch_to_claim_seconds',
    help: 'Time from dispatch to the first claim of an item (attempt 1)',
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 1800],
    registers: [this.registry],
  });
  readonly leaseExpiries = new Counter({
    name: 'runplane_lease_expiries_total',
    help: 'Leases that ran out (the runner stopped heartbeating), by what became of the item',
    labelNames: ['outcome'],
    registers: [this.registry],
  });
  readonly requeues = new Counter({
    name: 'runplane_requeues_total',
    help: 'Items handed back to the queue, by reason',
    labelNames: ['reason'],
    registers: [this.registry],
  });
  readonly permissionRequests = new Counter({
    name: 'runplane_permission_requests_total',
    help: 'Permission requests by how they were first decided: approved or denied by the policy, pending for a person, expired',
    labelNames: ['decision'],
    registers: [this.registry],
  });
  readonly permissionDecisions = new Histogram({
    name: 'runplane_permission_decision_seconds',
    help: 'From a permission request to a person deciding it, by decision',
    labelNames: ['decision'],
    buckets: [1, 5, 15, 30, 60, 120, 300, 600, 1800, 3600],
    registers: [this.registry],
  });
  readonly budgetPauses = new Counter({
    name: 'runplane_budget_pauses_total',
    help: 'Sessions paused for reaching a budget, by the budget reached',
    labelNames: ['budget'],
    registers: [this.registry],
  });
  readonly suspensions = new Counter({
    name: 'runplane_suspensions_total',
    help: 'Kill switches turned on, by target (profile or org)',
    labelNames: ['target'],
    registers: [this.registry],
  });
  readonly cancellations = new Counter({
    name: 'runplane_cancellations_total',
    help: 'Cancellations, by how they ended: at once (nobody held the item) or requested from the runner',
    labelNames: ['reason'],
    registers: [this.registry],
  });
  readonly heartbeats = new Counter({
    name: 'runplane_runner_heartbeats_total',
    help: 'Runner heartbeats (not in the audit log row by row)',
    registers: [this.registry],
  });
  readonly logBatches = new Counter({
    name: 'runplane_log_batches_total',
    help: 'Log and event batches appended by runners (not in the audit log row by row)',
    registers: [this.registry],
  });
  readonly httpDuration = new Histogram({
    name: 'runplane_http_request_duration_seconds',
    help: 'HTTP request durations by route, method and status',
    labelNames: ['route', 'method', 'status'],
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10, 60],
    registers: [this.registry],
  });
  readonly deliveries = new Counter({
    name: 'runplane_delivery_outcomes_total',
    help: 'Review delivery attempts by destination and outcome (delivered, retry, failed)',
    labelNames: ['destination', 'outcome'],
    registers: [this.registry],
  });

  constructor(db: Db, read: { notificationsReceived(): number; parkedPolls(): number }) {
    collectDefaultMetrics({ register: this.registry, prefix: 'runplane_' });
    const registers = [this.registry];
    // Both queue gauges are collected at once in a scrape: they share the one query in flight.
    let inFlight: Promise<QueueFigure[]> | null = null;
    const queues = () => {
      inFlight ??= queueFigures(db, null).finally(() => {
        inFlight = null;
      });
      return inFlight;
    };
    new Gauge({
      name: 'runplane_permission_requests_pending',
      help: 'Permission requests waiting for a person, by org',
      labelNames: ['org'],
      registers,
      async collect() {
        this.reset();
        for (const row of await pendingRequestsByOrg(db)) this.set({ org: row.orgSlug }, row.count);
      },
    });
    new Gauge({
      name: 'runplane_queue_depth',
      help: 'Pending items by org, profile and required tag set',
      labelNames: ['org', 'profile', 'tags'],
      registers,
      async collect() {
        this.reset();
        for (const row of await queues()) {
          this.set({ org: row.orgSlug, profile: row.profileId, tags: row.requiredTags.join(',') }, row.depth);
        }
      },
    });
    new Gauge({
      name: 'runplane_queue_oldest_age_seconds',
      help: 'Age of the oldest pending item by org, profile and required tag set',
      labelNames: ['org', 'profile', 'tags'],
      registers,
      async collect() {
        this.reset();
        for (const row of await queues()) {
          this.set(
            { org: row.orgSlug, profile: row.profileId, tags: row.requiredTags.join(',') },
            row.oldestAgeSeconds,
          );
        }
      },
    });
    new Gauge({
      name: 'runplane_runners',
      help: 'Registered runners by status',
      labelNames: ['status'],
      registers,
      async collect() {
        this.reset();
        for (const row of await runnerCounts(db)) this.set({ status: row.status }, row.count);
      },
    });
    new Gauge({
      name: 'runplane_db_pool_connections',
      help: 'Store connections of this instance: in use, idle, and requests waiting for one',
      labelNames: ['state'],
      registers,
      collect() {
        const stats = db.poolStats?.();
        if (!stats) return;
        this.set({ state: 'in_use' }, stats.total - stats.idle);
        this.set({ state: 'idle' }, stats.idle);
        this.set({ state: 'waiting' }, stats.waiting);
      },
    });
    new Gauge({
      name: 'runplane_notifications_received',
      help: 'Notifications received from other instances since start',
      registers,
      collect() {
        this.set(read.notificationsReceived());
      },
    });
    new Gauge({
      name: 'runplane_parked_long_polls',
      help: 'Claim long polls waiting on this instance',
      registers,
      collect() {
        this.set(read.parkedPolls());
      },
    });
  }
}
