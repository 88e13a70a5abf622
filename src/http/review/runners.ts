// /api/runners: the review-runner contract. Handlers translate headers and bodies into core calls; the claim,
// lease and fencing logic lives in the core and is shared with the /v1 facade.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { Core } from '../../core/context.ts';
import { appendItemEvents, claimForRunner, getItemOrThrow, readEvents, recordPhase } from '../../core/items.ts';
import { logEvents, REVIEW_PHASES, REVIEW_PROFILE, submitReviewResult } from '../../core/reviews.ts';
import {
  deregisterRunner,
  findRunner,
  heartbeat,
  listOrgRunners,
  registerRunner,
  runnerAttempts,
} from '../../core/runners.ts';
import { isLeased } from '../../core/states.ts';
import { principalOf } from '../auth.ts';
import { longPollSignal } from '../long-poll.ts';
import { InstanceHeaders, instanceOf, WriterHeaders, writerOf } from '../writer.ts';
import {
  data,
  errorResponses,
  LogLines,
  presentRunner,
  presentTask,
  ResultBody,
  RunnerId,
  RunnerSchema,
  TaskSchema,
} from './schemas.ts';

const TaskParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }) });
const RunnerParams = Type.Object({ id: RunnerId });
const extension = { 'x-runplane-extension': true };

export const runnerRoutes: FastifyPluginAsyncTypebox<{ core: Core }> = async (app, { core }) => {
  const tags = ['runners'];

  app.get(
    '/api/runners',
    {
      config: { scope: 'runners:read' },
      schema: {
        tags,
        summary: 'List runners, most recent heartbeat first',
        response: { 200: data(Type.Array(RunnerSchema)), ...errorResponses },
      },
    },
    async (request) => ({ data: (await listOrgRunners(core, principalOf(request).orgId)).map(presentRunner) }),
  );

  app.get(
    '/api/runners/:id',
    {
      config: { scope: 'runners:read' },
      schema: { tags, params: RunnerParams, response: { 200: data(RunnerSchema), ...errorResponses } },
    },
    async (request) => ({ data: presentRunner(await findRunner(core, principalOf(request).orgId, request.params.id)) }),
  );

  app.get(
    '/api/runners/:id/attempts',
    {
      config: { scope: 'runners:read' },
      schema: {
        tags,
        summary: 'The runner’s most recent claims, newest first (extension)',
        ...extension,
        params: RunnerParams,
        querystring: Type.Object({ limit: Type.Integer({ minimum: 1, maximum: 200, default: 50 }) }),
        response: {
          200: data(
            Type.Array(
              Type.Object({
                taskId: Type.String({ description: 'The work item (a session id on /v1)' }),
                externalTaskId: Type.Union([Type.String(), Type.Null()]),
                profileId: Type.String(),
                state: Type.String({ description: 'The item’s state now' }),
                attempt: Type.Integer(),
                claimedAt: Type.String({ format: 'date-time' }),
                endedAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
                outcome: Type.Union([Type.String(), Type.Null()]),
              }),
            ),
          ),
          ...errorResponses,
        },
      },
    },
    async (request) => {
      const attempts = await runnerAttempts(core, principalOf(request).orgId, request.params.id, request.query.limit);
      return {
        data: attempts.map((a) => ({
          taskId: a.itemId,
          externalTaskId: a.taskId,
          profileId: a.profileId,
          state: a.state,
          attempt: a.attempt,
          claimedAt: a.claimedAt.toISOString(),
          endedAt: a.endedAt ? a.endedAt.toISOString() : null,
          outcome: a.outcome,
        })),
      };
    },
  );

  app.post(
    '/api/runners/register',
    {
      config: { scope: 'runners:write' },
      schema: {
        tags,
        summary: 'Register or re-register a runner (metadata in headers)',
        headers: Type.Object({
          'x-runner-id': RunnerId,
          'x-runner-name': Type.Optional(Type.String({ minLength: 1, maxLength: 256 })),
          'x-runner-version': Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
          'x-runner-max-concurrency': Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })),
          'x-runner-tags': Type.Optional(Type.String({ maxLength: 2048, pattern: '^[A-Za-z0-9._:, -]*$' })),
        }),
        response: {
          200: data(
            Type.Intersect([
              RunnerSchema,
              Type.Object({
                instanceId: Type.String({
                  description:
                    "Extension: this register's instance; send it as x-runner-instance. Leases of earlier instances were released",
                }),
                releasedTaskIds: Type.Array(Type.String(), { description: 'Extension: tasks of earlier instances' }),
              }),
            ]),
          ),
          ...errorResponses,
        },
      },
    },
    async (request) => {
      const headers = request.headers;
      const id = headers['x-runner-id'];
      const tagList = (headers['x-runner-tags'] ?? '')
        .split(',')
        .map((tag) => tag.trim())
        .filter(Boolean);
      const { runner, releasedTaskIds } = await registerRunner(core, {
        orgId: principalOf(request).orgId,
        id,
        name: headers['x-runner-name'] ?? id,
        version: headers['x-runner-version'] ?? 'unknown',
        maxConcurrency: headers['x-runner-max-concurrency'] ?? 5,
        tags: [...new Set(tagList)].sort(),
      });
      return { data: { ...presentRunner(runner), instanceId: runner.instanceId!, releasedTaskIds } };
    },
  );

  app.post(
    '/api/runners/:id/heartbeat',
    {
      config: { scope: 'runners:write', audit: false },
      schema: {
        tags,
        params: RunnerParams,
        headers: InstanceHeaders,
        body: Type.Object({
          status: Type.Enum(['online', 'busy', 'offline']),
          currentJobs: Type.Integer({ minimum: 0, maximum: 100000 }),
          taskIds: Type.Optional(
            Type.Array(Type.String({ minLength: 1, maxLength: 64 }), {
              maxItems: 1000,
              description:
                'Extension: the tasks this runner works on. Exactly these leases are extended; its other leases are released',
            }),
          ),
          claimsPendingMs: Type.Optional(
            Type.Integer({
              minimum: 0,
              maximum: 3_600_000,
              description:
                'Extension: age of the oldest claim request still unanswered; leases claimed within it are not released for being unlisted',
            }),
          ),
        }),
        response: {
          200: data(
            Type.Intersect([
              RunnerSchema,
              Type.Object({
                cancelTaskIds: Type.Array(Type.String(), { description: 'Extension: stop these tasks and report' }),
                pauseTaskIds: Type.Array(Type.String(), {
                  description: 'Extension: these sessions reached a budget; checkpoint them with pause',
                }),
                staleTaskIds: Type.Array(Type.String(), {
                  description: 'Extension: listed tasks this runner no longer holds; stop them without reporting',
                }),
              }),
            ]),
          ),
          ...errorResponses,
        },
      },
    },
    async (request) => {
      const { runner, cancelTaskIds, pauseTaskIds, staleTaskIds } = await heartbeat(
        core,
        principalOf(request).orgId,
        request.params.id,
        {
          status: request.body.status,
          currentJobs: request.body.currentJobs,
          taskIds: request.body.taskIds ?? null,
          claimsPendingMs: request.body.claimsPendingMs ?? null,
          instance: instanceOf(request),
        },
      );
      return { data: { ...presentRunner(runner), cancelTaskIds, pauseTaskIds, staleTaskIds } };
    },
  );

  app.get(
    '/api/runners/tasks/pending',
    {
      config: { scope: 'runners:write', auditReads: true, csrf: 'always' },
      schema: {
        tags,
        summary: 'Claim pending review tasks (long-poll with wait)',
        headers: InstanceHeaders,
        querystring: Type.Object({
          runnerId: RunnerId,
          limit: Type.Integer({ minimum: 1, maximum: 100, default: 1 }),
          wait: Type.Number({ minimum: 0, maximum: 60, default: 0, description: 'Extension: seconds to long-poll' }),
        }),
        response: { 200: data(Type.Array(TaskSchema)), ...errorResponses },
      },
    },
    async (request, reply) => {
      const waitMs = request.query.wait * 1000;
      const items = await claimForRunner(core, {
        orgId: principalOf(request).orgId,
        runnerId: request.query.runnerId,
        profileIds: [REVIEW_PROFILE],
        limit: request.query.limit,
        instance: instanceOf(request),
        waitMs,
        signal: waitMs > 0 ? longPollSignal(reply, app.shutdownSignal) : undefined,
      });
      return { data: items.map((item) => presentTask(item)) };
    },
  );

  app.get(
    '/api/runners/tasks/:id',
    {
      config: { scope: 'runners:read' },
      schema: { tags, params: TaskParams, response: { 200: data(TaskSchema), ...errorResponses }, ...extension },
    },
    async (request) => ({
      data: presentTask(await getItemOrThrow(core.db, principalOf(request).orgId, request.params.id), {
        withResult: true,
      }),
    }),
  );

  app.post(
    '/api/runners/tasks/:id/status',
    {
      // A runner's progress report, like a log batch: it is in the task's event log, not audited row by row.
      config: { scope: 'runners:write', audit: false },
      schema: {
        tags,
        params: TaskParams,
        headers: WriterHeaders,
        body: Type.Object({ status: Type.Enum([...REVIEW_PHASES]) }),
        response: { 200: data(TaskSchema), ...errorResponses },
      },
    },
    async (request) => {
      const item = await recordPhase(
        core,
        principalOf(request).orgId,
        request.params.id,
        request.body.status,
        writerOf(request),
      );
      return { data: presentTask(item) };
    },
  );

  app.post(
    '/api/runners/tasks/:id/logs',
    {
      config: { scope: 'runners:write', audit: false },
      schema: {
        tags,
        params: TaskParams,
        headers: WriterHeaders,
        body: Type.Object({ logs: LogLines }),
        response: {
          200: data(
            Type.Object({
              appended: Type.Integer(),
              lastSeq: Type.Integer(),
              cancelRequested: Type.Boolean(),
            }),
          ),
          ...errorResponses,
        },
      },
    },
    async (request) => {
      const { head, events } = await appendItemEvents(
        core,
        principalOf(request).orgId,
        request.params.id,
        logEvents(request.body.logs),
        writerOf(request),
        { operatorAllowed: (locked) => isLeased(locked.state) },
      );
      return {
        data: {
          appended: events.length,
          lastSeq: events.at(-1)?.seq ?? head.lastEventSeq,
          cancelRequested: head.state === 'cancel_requested',
        },
      };
    },
  );

  app.get(
    '/api/runners/tasks/:id/logs',
    {
      config: { scope: 'runners:read' },
      schema: {
        tags,
        params: TaskParams,
        querystring: Type.Object({
          after: Type.Integer({ minimum: 0, default: 0 }),
          limit: Type.Integer({ minimum: 1, maximum: 1000, default: 200 }),
        }),
        response: {
          200: Type.Object({
            data: Type.Array(Type.Object({ seq: Type.Integer(), line: Type.String(), ts: Type.String() })),
            nextAfter: Type.Integer({ description: 'Pass as ?after= to read on' }),
          }),
          ...errorResponses,
        },
        ...extension,
      },
    },
    async (request) => {
      const { after, limit } = request.query;
      const events = await readEvents(core.db, principalOf(request).orgId, request.params.id, {
        after,
        limit,
        type: 'log',
      });
      return {
        data: events.map((event) => ({ seq: event.seq, line: event.message, ts: event.ts.toISOString() })),
        nextAfter: events.at(-1)?.seq ?? after,
      };
    },
  );

  app.post(
    '/api/runners/tasks/:id/result',
    {
      config: { scope: 'runners:write' },
      schema: {
        tags,
        summary: 'Submit the final result; idempotent for the same body',
        params: TaskParams,
        headers: WriterHeaders,
        body: ResultBody,
        response: { 200: data(TaskSchema), ...errorResponses },
      },
    },
    async (request) => {
      const { logs = [], runnerId, attempt, ...result } = request.body;
      const { item } = await submitReviewResult(core, principalOf(request).orgId, request.params.id, {
        result,
        logs: logEvents(logs),
        writer: writerOf(request, { runnerId, attempt }),
      });
      return { data: presentTask(item, { withResult: true }) };
    },
  );

  app.delete(
    '/api/runners/:id',
    {
      config: { scope: 'runners:write' },
      schema: {
        tags,
        summary: 'Mark a runner offline and release its unfinished tasks',
        params: RunnerParams,
        headers: InstanceHeaders,
        response: {
          200: data(
            Type.Intersect([
              RunnerSchema,
              Type.Object({ releasedTaskIds: Type.Array(Type.String(), { description: 'Extension' }) }),
            ]),
          ),
          ...errorResponses,
        },
      },
    },
    async (request) => {
      const { runner, releasedTaskIds } = await deregisterRunner(
        core,
        principalOf(request).orgId,
        request.params.id,
        instanceOf(request),
      );
      return { data: { ...presentRunner(runner), releasedTaskIds } };
    },
  );
};
