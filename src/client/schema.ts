// Generated from the OpenAPI document by `npm run generate:client` (scripts/client-types.ts): do not edit.
// test/integration/client-drift.test.ts fails when this differs from what the server serves.
export interface paths {
    "/api/reviews": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** List reviews, newest first */
        get: operations["listReviews"];
        put?: never;
        /** Create a review; its task is queued for runners */
        post: operations["createReview"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/reviews/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Get review */
        get: operations["getReview"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/reviews/{id}/cancel": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Cancel a review (extension): at once when queued, via its runner when running */
        post: operations["cancelReview"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/runners": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** List runners, most recent heartbeat first */
        get: operations["listRunners"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/runners/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Get runner */
        get: operations["getRunner"];
        put?: never;
        post?: never;
        /** Mark a runner offline and release its unfinished tasks */
        delete: operations["deregisterRunner"];
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/runners/{id}/attempts": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** The runner’s most recent claims, newest first (extension) */
        get: operations["listRunnerAttempts"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/runners/{id}/heartbeat": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Heartbeat runner */
        post: operations["heartbeatRunner"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/runners/register": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Register or re-register a runner (metadata in headers) */
        post: operations["registerRunner"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/runners/tasks/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Get task */
        get: operations["getTask"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/runners/tasks/{id}/logs": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** List task logs */
        get: operations["listTaskLogs"];
        put?: never;
        /** Append task logs */
        post: operations["appendTaskLogs"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/runners/tasks/{id}/result": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Submit the final result; idempotent for the same body */
        post: operations["submitTaskResult"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/runners/tasks/{id}/status": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Report task status */
        post: operations["reportTaskStatus"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/runners/tasks/pending": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Claim pending review tasks (long-poll with wait) */
        get: operations["claimPendingTasks"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/webhooks/github": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** GitHub pull_request webhook (X-Hub-Signature-256); opened/synchronize/reopened create a review */
        post: operations["receiveGithubWebhook"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/console/api/login": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Console log in */
        post: operations["consoleLogIn"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/console/api/logout": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Console log out */
        post: operations["consoleLogOut"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/console/api/me": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Console me */
        get: operations["consoleMe"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/console/api/sessions/{id}/why-pending": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Console why pending */
        get: operations["consoleWhyPending"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/console/api/setup": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** First run: create the first org and its admin with the setup link’s token, and log in */
        post: operations["consoleSetUp"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/healthz": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Get health */
        get: operations["getHealth"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/metrics": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Prometheus metrics (queue depth and age, claims, leases, runners, HTTP, pool, delivery, process) */
        get: operations["getMetrics"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/readyz": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Get readiness */
        get: operations["getReadiness"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/admin/keys": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** The org’s API keys, oldest first (never their secrets) */
        get: operations["listAdminKeys"];
        put?: never;
        /** Create an API key in this org; the answer holds its secret, shown once */
        post: operations["createAdminKey"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/admin/keys/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        post?: never;
        /** Revoke an API key at once, on every instance (idempotent) */
        delete: operations["revokeAdminKey"];
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/admin/users": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** The org’s console users, by email */
        get: operations["listAdminUsers"];
        put?: never;
        /** Create a console user in this org (409 user_exists when the email is taken) */
        post: operations["createAdminUser"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/admin/users/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        post?: never;
        /** Delete a user and end its sessions (409 last_admin); its audit records stay */
        delete: operations["deleteAdminUser"];
        options?: never;
        head?: never;
        /** Change a user’s role, disable or enable it, or reset its password (409 last_admin) */
        patch: operations["updateAdminUser"];
        trace?: never;
    };
    "/v1/audit": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Audit records of both facades, newest first */
        get: operations["listAuditRecords"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/integrations": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Where this org’s reviews may be posted, per provider */
        get: operations["listIntegrations"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/integrations/{provider}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        /** Replace the repositories this org may post reviews to with one provider; a review naming another is refused */
        put: operations["replaceIntegration"];
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/runners/grants/introspect": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * What a grant token stands for (RFC 7662 style), for the system that receives it
         * @description Extension. A service a session presents its grant token to (a git proxy checking `repo:write` on one repository) asks here with its own key: `active: true` with the scope, resource, session and expiry while the grant is active in the caller’s org; otherwise only `active: false`.
         */
        post: operations["createGrantIntrospect"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/runners/permission-requests": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** The org's permission requests; `state=pending` is the queue a person decides (oldest first) */
        get: operations["listPermissionRequests"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/runners/permission-requests/{id}/approve": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Approve a pending request: a grant for the asking attempt, its lifetime capped by the rule */
        post: operations["approvePermissionRequest"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/runners/permission-requests/{id}/deny": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Deny a pending request */
        post: operations["denyPermissionRequest"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/runners/profiles": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** List profiles */
        get: operations["listProfiles"];
        put?: never;
        /** Create profile */
        post: operations["createProfile"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/runners/profiles/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Get profile */
        get: operations["getProfile"];
        /** Replace a profile */
        put: operations["replaceProfile"];
        post?: never;
        /** Delete a profile; archive it instead when sessions reference it */
        delete: operations["deleteProfile"];
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/runners/profiles/{id}/harnesses": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Harness revisions, newest first */
        get: operations["listProfileHarnesses"];
        put?: never;
        /** Create profile harness */
        post: operations["createProfileHarness"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/runners/profiles/{id}/harnesses/latest": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Get latest harness */
        get: operations["getLatestHarness"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/runners/profiles/{id}/policy": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** The profile's policy in force and every earlier version, newest first */
        get: operations["getProfilePolicy"];
        /** Write a new version of the profile's policy (sessions keep the version they were dispatched under) */
        put: operations["replaceProfilePolicy"];
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/runners/profiles/{id}/suspend": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Kill switch: refuse new dispatches to the profile (409 profile_suspended) and cancel its pending and running sessions */
        post: operations["suspendProfile"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/runners/profiles/{id}/unsuspend": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Turn the kill switch off: the profile takes dispatches again */
        post: operations["unsuspendProfile"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/runners/queues": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Pending work of this org by profile and required tag set; `depth` sums the rows the filters keep */
        get: operations["listQueues"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/runners/sessions": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Sessions, newest first */
        get: operations["listSessions"];
        put?: never;
        /** Dispatch a session (Idempotency-Key supported) */
        post: operations["createSession"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/runners/sessions/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Get session */
        get: operations["getSession"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        /**
         * Partial update: state, progress, metadata (merged), result; budget with runners:approve
         * @description State, progress, metadata and result take runners:write (a runner sends its attempt headers). `budget` (extension) takes runners:approve: it changes the session's own limits over its pinned policy's.
         */
        patch: operations["updateSession"];
        trace?: never;
    };
    "/v1/runners/sessions/{id}/artifacts": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** List session artifacts */
        get: operations["listSessionArtifacts"];
        put?: never;
        /** Upload an artifact: the raw body with its Content-Type, streamed (≤ RUNPLANE_ARTIFACT_MAX_BYTES) */
        post: operations["uploadSessionArtifact"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/runners/sessions/{id}/artifacts/{artifact_id}/content": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Download an artifact with its stored content type */
        get: operations["downloadSessionArtifact"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/runners/sessions/{id}/attempts": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Every attempt of the session, first to last: runner, claim, end, outcome */
        get: operations["listSessionAttempts"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/runners/sessions/{id}/cancel": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Cancel: at once when pending or paused, via the runner (cancel_requested) when it runs */
        post: operations["cancelSession"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/runners/sessions/{id}/checkpoint": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Store a checkpoint; with pause, also pause the session and free its runner slot */
        post: operations["checkpointSession"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/runners/sessions/{id}/claim": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Claim one pending session by id (atomic pending → dispatched) */
        post: operations["claimSession"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/runners/sessions/{id}/events": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** List session events */
        get: operations["listSessionEvents"];
        put?: never;
        /** Append a batch of 1–500 events; the server assigns seq and received_at */
        post: operations["appendSessionEvents"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/runners/sessions/{id}/events/stream": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Live events as Server-Sent Events: each an unnamed (`message`) event, id: seq, data: the event with its `type`; resume with Last-Event-ID; ends after the terminal state */
        get: operations["streamSessionEvents"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/runners/sessions/{id}/heartbeat": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Heartbeat session */
        post: operations["heartbeatSession"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/runners/sessions/{id}/permission-requests": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** A session's permission requests and their decisions, newest first */
        get: operations["listSessionPermissionRequests"];
        put?: never;
        /**
         * The running attempt asks for a permission; its policy decides at once or a person will
         * @description Fenced by `x-runplane-attempt` (and `x-runner-id`): only the attempt holding the session may ask, and the ask extends its lease. A rule with `allow` answers `approved` with the grant token in this answer (shown once); `deny` answers `denied`; otherwise the request is `pending` until a person decides or it expires.
         */
        post: operations["createSessionPermissionRequest"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/runners/sessions/{id}/permission-requests/{request_id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * One permission request; with `wait`, waits for its decision (long poll)
         * @description The attempt that asked (sending its `x-runplane-attempt` and `x-runner-id`) receives the grant token of an approved request in the first answer after the decision, once; every other answer has `token: null`.
         */
        get: operations["getSessionPermissionRequest"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/runners/sessions/{id}/permissions": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** List session permissions */
        get: operations["listSessionPermissions"];
        put?: never;
        /** Grant one scope to this session for a while; the token is shown once */
        post: operations["grantSessionPermission"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/runners/sessions/{id}/permissions/{grant_id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        post?: never;
        /** Revoke a grant at once */
        delete: operations["revokeSessionPermission"];
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/runners/sessions/{id}/replay": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Replay a session: a new pending session with its input, pinned harness revision and policy version, linked both ways (Idempotency-Key supported) */
        post: operations["replaySession"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/runners/sessions/{id}/resume": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Resume session */
        post: operations["resumeSession"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/runners/sessions/claim": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Claim the next pending sessions (long-poll with wait_seconds) */
        post: operations["claimNextSession"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/runners/suspend": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Kill switch for the whole organisation: refuse every new dispatch and review (409 org_suspended) and cancel every unfinished session */
        post: operations["suspendOrg"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/runners/unsuspend": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Turn the organisation's kill switch off */
        post: operations["unsuspendOrg"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
}
export type webhooks = Record<string, never>;
export interface components {
    schemas: {
        /**
         * ApiKey
         * @description An API key (never its secret)
         */
        ApiKey: {
            /** Format: date-time */
            created_at: string;
            /**
             * Format: date-time
             * @description After this instant the key answers 401; null: it does not expire
             */
            expires_at: string | null;
            id: string;
            /**
             * @description `runner`: every task write it makes must name its attempt (fencing cannot be skipped); `operator`: scripts, integrations and people — its unidentified task writes are operator writes
             * @enum {unknown}
             */
            kind: "operator" | "runner";
            name: string;
            /** Format: date-time */
            revoked_at: string | null;
            scopes: ("runners:read" | "runners:write" | "runners:dispatch" | "runners:approve" | "admin")[];
        };
        /** Artifact */
        Artifact: {
            content_type: string;
            /** Format: date-time */
            created_at: string;
            id: string;
            name: string;
            session_id: string;
            sha256: string;
            size: number;
        };
        /**
         * Attempt
         * @description One claim of a session by a runner
         */
        Attempt: {
            attempt: number;
            /** Format: date-time */
            claimed_at: string;
            /** Format: date-time */
            ended_at: string | null;
            /** @description The state the attempt ended in; null while it runs */
            outcome: string | null;
            runner_id: string;
        };
        /** AuditRecord */
        AuditRecord: {
            action: string;
            actor: string;
            /** Format: date-time */
            at: string;
            id: string;
            request_id: string | null;
            target: string | null;
        };
        /** Budgets */
        Budgets: {
            max_cost_usd?: number;
            max_tokens?: number;
            max_wall_seconds?: number;
        };
        /** ChangedFile */
        ChangedFile: {
            patch?: string;
            path: string;
            status: string;
        };
        /** Checkpoint */
        Checkpoint: {
            /** Format: date-time */
            created_at: string;
            data: unknown;
            seq: number;
        };
        /** CreatedApiKey */
        CreatedApiKey: {
            /** Format: date-time */
            created_at: string;
            /**
             * Format: date-time
             * @description After this instant the key answers 401; null: it does not expire
             */
            expires_at: string | null;
            id: string;
            /** @description The secret, shown this once; only its hash is stored */
            key: string;
            /**
             * @description `runner`: every task write it makes must name its attempt (fencing cannot be skipped); `operator`: scripts, integrations and people — its unidentified task writes are operator writes
             * @enum {unknown}
             */
            kind: "operator" | "runner";
            name: string;
            /** Format: date-time */
            revoked_at: string | null;
            scopes: ("runners:read" | "runners:write" | "runners:dispatch" | "runners:approve" | "admin")[];
        };
        /**
         * @example {
         *       "error": {
         *         "code": "invalid_request",
         *         "message": "body/limit must be <= 200",
         *         "field": "limit"
         *       }
         *     }
         */
        Error: {
            error: {
                code: string;
                details?: {
                    [key: string]: unknown;
                };
                field?: string;
                message: string;
            };
        };
        /** Event */
        Event: {
            data: unknown;
            /** @enum {unknown} */
            level: "debug" | "info" | "warn" | "error";
            message: string;
            /** Format: date-time */
            received_at: string;
            seq: number;
            /** Format: date-time */
            ts: string;
            type: string;
        };
        /** FileResult */
        FileResult: {
            comments: components["schemas"]["ReviewComment"][];
            path: string;
        };
        /** Grant */
        Grant: {
            /** Format: date-time */
            created_at: string;
            created_by: string;
            /** Format: date-time */
            expires_at: string;
            id: string;
            reason: string;
            resource: string | null;
            /** Format: date-time */
            revoked_at: string | null;
            scope: string;
            session_id: string;
            /** @enum {unknown} */
            status: "active" | "expired" | "revoked";
        };
        /** HarnessRevision */
        HarnessRevision: {
            /** Format: date-time */
            created_at: string;
            id: string;
            image_ref: string;
            profile_id: string;
            version: string;
        };
        /** NewEvent */
        NewEvent: {
            data?: unknown;
            /** @enum {unknown} */
            level: "debug" | "info" | "warn" | "error";
            message: string;
            /** Format: date-time */
            ts?: string;
            type: string;
        };
        /** OrgSuspension */
        OrgSuspension: {
            org_id: string;
            /** Format: date-time */
            suspended_at: string | null;
            suspended_reason: string | null;
        };
        /**
         * PermissionRequest
         * @description A session's request for a grant and its decision
         */
        PermissionRequest: {
            /** @description The attempt that asked: the only one its token is handed to */
            attempt: number;
            /** Format: date-time */
            created_at: string;
            /** Format: date-time */
            decided_at: string | null;
            /** @description `policy` when a rule decided, else the person (API key id or user); null while pending */
            decided_by: string | null;
            /**
             * Format: date-time
             * @description A pending request expires here at the latest (earlier when its attempt ends)
             */
            expires_at: string;
            /** Format: date-time */
            grant_expires_at: string | null;
            grant_id: string | null;
            id: string;
            note: string | null;
            reason: string;
            resource: string;
            /** @description The policy rule that matched (0-based); null: none did and the default `ask` applied */
            rule_index: number | null;
            runner_id: string | null;
            scope: string;
            session_id: string;
            /** @enum {unknown} */
            state: "pending" | "approved" | "denied" | "expired";
            /** @description The token was handed to the asking attempt (it is shown once) */
            token_delivered: boolean;
            /** @description The grant lifetime asked for, capped by the matching rule */
            ttl_seconds: number;
        };
        /**
         * PermissionRequestAnswer
         * @description A permission request, with its token when this answer hands it out
         */
        PermissionRequestAnswer: {
            /** @description The attempt that asked: the only one its token is handed to */
            attempt: number;
            /** Format: date-time */
            created_at: string;
            /** Format: date-time */
            decided_at: string | null;
            /** @description `policy` when a rule decided, else the person (API key id or user); null while pending */
            decided_by: string | null;
            /**
             * Format: date-time
             * @description A pending request expires here at the latest (earlier when its attempt ends)
             */
            expires_at: string;
            /** @description The grant minted for that token; else null */
            grant: components["schemas"]["Grant"] | null;
            /** Format: date-time */
            grant_expires_at: string | null;
            grant_id: string | null;
            id: string;
            note: string | null;
            reason: string;
            resource: string;
            /** @description The policy rule that matched (0-based); null: none did and the default `ask` applied */
            rule_index: number | null;
            runner_id: string | null;
            scope: string;
            session_id: string;
            /** @enum {unknown} */
            state: "pending" | "approved" | "denied" | "expired";
            /** @description The grant token (`rpg_…`): only in the one answer that hands it to the asking attempt; null otherwise */
            token: string | null;
            /** @description The token was handed to the asking attempt (it is shown once) */
            token_delivered: boolean;
            /** @description The grant lifetime asked for, capped by the matching rule */
            ttl_seconds: number;
        };
        /** PermissionRule */
        PermissionRule: {
            /** @enum {unknown} */
            action: "allow" | "ask" | "deny";
            max_ttl_seconds?: number;
            /** @description A glob: `*` matches within one path segment, `**` across segments */
            resource: string;
            scope: string;
        };
        /** PolicyHistory */
        PolicyHistory: {
            current: components["schemas"]["ProfilePolicy"];
            versions: components["schemas"]["ProfilePolicy"][];
        };
        /**
         * Profile
         * @example {
         *       "id": "nightly-agents",
         *       "name": "Nightly agents",
         *       "description": "Agent jobs run on the build farm",
         *       "execution_target": "runner",
         *       "status": "active",
         *       "builtin": false,
         *       "suspended_at": null,
         *       "suspended_reason": null,
         *       "created_at": "2026-12-01T09:00:00.000Z",
         *       "updated_at": "2026-12-01T09:00:00.000Z"
         *     }
         */
        Profile: {
            /** @description The built-in ai-review profile of review tasks (extension) */
            builtin: boolean;
            /** Format: date-time */
            created_at: string;
            description: string;
            execution_target: string;
            id: string;
            name: string;
            /** @enum {unknown} */
            status: "active" | "archived";
            /**
             * Format: date-time
             * @description Extension: set while the kill switch is on (no dispatch; its sessions were cancelled)
             */
            suspended_at: string | null;
            /** @description Extension: why it was suspended */
            suspended_reason: string | null;
            /** Format: date-time */
            updated_at: string;
        };
        /** ProfilePolicy */
        ProfilePolicy: {
            budgets: components["schemas"]["Budgets"];
            cancel_grace_seconds: number;
            /** Format: date-time */
            created_at: string | null;
            created_by: string | null;
            permissions: components["schemas"]["PermissionRule"][];
            profile_id: string;
            /** @description 0: the profile has no policy yet and these are the defaults */
            version: number;
        };
        /** PullRequest */
        PullRequest: {
            number: number;
            /** @enum {unknown} */
            provider: "github" | "gitlab";
            /** @description owner/name (GitLab: group/sub/project); must be bound to the org (PUT /v1/integrations/{provider}) */
            repository: string;
        };
        /** Review */
        Review: {
            aiConfig: {
                [key: string]: unknown;
            };
            attempt: number;
            baseSha: string | null;
            branch: string;
            changedFiles: number;
            commitSha: string;
            /** Format: date-time */
            createdAt: string;
            /** @description Comment posting: pending | delivered | failed; null when nothing to post */
            delivery: string | null;
            /** @description Last delivery error, if any */
            deliveryError: string | null;
            error: string | null;
            failureReason: string | null;
            files: components["schemas"]["FileResult"][];
            /** Format: date-time */
            finishedAt: string | null;
            id: string;
            metrics: {
                [key: string]: unknown;
            } | null;
            phase: string | null;
            pullRequest: components["schemas"]["PullRequest"] | null;
            rating: string | null;
            repositoryUrl: string;
            requiredTags: string[];
            runnerId: string | null;
            /** @enum {unknown} */
            status: "pending" | "dispatched" | "running" | "paused" | "cancel_requested" | "succeeded" | "failed" | "cancelled";
            taskId: string;
            totalComments: number | null;
            /** Format: date-time */
            updatedAt: string;
        };
        /** ReviewComment */
        ReviewComment: {
            body: string;
            endLine?: number;
            line: number;
            /** @enum {unknown} */
            severity: "info" | "minor" | "major" | "critical";
            suggestion?: string;
        };
        /** Runner */
        Runner: {
            /** @description Tasks the server sees leased to this runner (extension) */
            activeTasks: number;
            currentJobs: number;
            id: string;
            /** Format: date-time */
            lastHeartbeatAt: string;
            maxConcurrency: number;
            name: string;
            /** Format: date-time */
            registeredAt: string;
            /** @enum {unknown} */
            status: "online" | "busy" | "offline";
            tags: string[];
            /** Format: date-time */
            updatedAt: string;
            version: string;
        };
        /**
         * Session
         * @example {
         *       "id": "sess_01JEXAMPLE0000000000000000",
         *       "profile_id": "nightly-agents",
         *       "task_id": "job-4711",
         *       "state": "running",
         *       "cancel_requested": false,
         *       "input": {
         *         "repository": "acme/web",
         *         "command": "lint"
         *       },
         *       "result": null,
         *       "error": null,
         *       "failure_reason": null,
         *       "progress": 0.4,
         *       "metadata": {},
         *       "phase": null,
         *       "required_tags": [
         *         "linux"
         *       ],
         *       "runner_id": "build-01",
         *       "attempt": 1,
         *       "max_attempts": 3,
         *       "lease_ttl_seconds": 60,
         *       "lease_expires_at": "2026-12-01T09:01:30.000Z",
         *       "harness_revision": null,
         *       "latest_checkpoint": null,
         *       "policy_version": 2,
         *       "replay_of": null,
         *       "replays": [],
         *       "pause_requested": false,
         *       "pause_reason": null,
         *       "budget": {},
         *       "usage": {
         *         "tokens": 1200,
         *         "cost_usd": 0.02
         *       },
         *       "created_at": "2026-12-01T09:00:00.000Z",
         *       "updated_at": "2026-12-01T09:00:30.000Z",
         *       "started_at": "2026-12-01T09:00:05.000Z",
         *       "finished_at": null
         *     }
         */
        Session: {
            attempt: number;
            /** @description Extension: the session's own limits, over its pinned policy's budgets (PATCH with runners:approve) */
            budget: {
                max_cost_usd?: number;
                max_tokens?: number;
                max_wall_seconds?: number;
            };
            cancel_requested: boolean;
            /** Format: date-time */
            created_at: string;
            error: string | null;
            failure_reason: string | null;
            /** Format: date-time */
            finished_at: string | null;
            harness_revision: components["schemas"]["HarnessRevision"] | null;
            id: string;
            input: unknown;
            latest_checkpoint: components["schemas"]["Checkpoint"] | null;
            /** Format: date-time */
            lease_expires_at: string | null;
            lease_ttl_seconds: number;
            max_attempts: number;
            metadata: {
                [key: string]: unknown;
            };
            /** @description Extension: why the server asked for the pause or paused the session (`budget_reached`) */
            pause_reason: string | null;
            /** @description Extension: the server asks the runner to pause the session (checkpoint with pause) — a budget was reached */
            pause_requested: boolean;
            phase: string | null;
            /** @description Extension: the profile policy version pinned at dispatch; null when the profile had none */
            policy_version: number | null;
            profile_id: string;
            progress: number | null;
            /** @description Extension: the session this one replays */
            replay_of: string | null;
            /** @description Extension: the sessions that replay this one, oldest first */
            replays: string[];
            required_tags: string[];
            result: unknown;
            runner_id: string | null;
            /** Format: date-time */
            started_at: string | null;
            /** @enum {unknown} */
            state: "pending" | "dispatched" | "running" | "paused" | "cancel_requested" | "succeeded" | "failed" | "cancelled";
            task_id: string | null;
            /** Format: date-time */
            updated_at: string;
            /** @description Extension: what the session spent, summed from its `usage` events */
            usage: {
                cost_usd: number;
                tokens: number;
            };
        };
        /** Task */
        Task: {
            aiConfig: {
                [key: string]: unknown;
            };
            attempt: number;
            baseSha: string | null;
            branch: string | null;
            /** @description The task was cancelled; stop and report (extension) */
            cancelRequested: boolean;
            commitSha: string | null;
            /** Format: date-time */
            createdAt: string;
            error: string | null;
            files: components["schemas"]["ChangedFile"][];
            id: string;
            /** Format: date-time */
            leaseExpiresAt: string | null;
            phase: string | null;
            repositoryUrl: string | null;
            result?: unknown;
            reviewId: string | null;
            runnerId: string | null;
            /** @enum {unknown} */
            status: "pending" | "dispatched" | "running" | "paused" | "cancel_requested" | "succeeded" | "failed" | "cancelled";
        };
        /**
         * User
         * @description A console user of the org (never its password)
         */
        User: {
            /** Format: date-time */
            created_at: string;
            /** @description A disabled user cannot log in; its sessions were ended */
            disabled: boolean;
            email: string;
            id: string;
            /**
             * @description viewer: runners:read; approver: read and runners:approve (decides permission requests, raises budgets); operator: read, write and dispatch; admin: everything, this API included
             * @enum {unknown}
             */
            role: "viewer" | "approver" | "operator" | "admin";
        };
    };
    responses: {
        /** @description The resource has moved on: a stale attempt or lease (`stale_attempt`), a finished item, a taken id or a replaced runner; `error.code` says which */
        Conflict: {
            headers: {
                [name: string]: unknown;
            };
            content: {
                "application/json": components["schemas"]["Error"];
            };
        };
        /** @description The credential lacks the scope this operation needs */
        Forbidden: {
            headers: {
                [name: string]: unknown;
            };
            content: {
                "application/json": components["schemas"]["Error"];
            };
        };
        /** @description A parameter, header or body field is invalid; `error.field` names it */
        InvalidRequest: {
            headers: {
                [name: string]: unknown;
            };
            content: {
                "application/json": components["schemas"]["Error"];
            };
        };
        /** @description No such resource in the caller's organisation (another organisation's resources are not found) */
        NotFound: {
            headers: {
                [name: string]: unknown;
            };
            content: {
                "application/json": components["schemas"]["Error"];
            };
        };
        /** @description Too many requests; retry after the time the message names */
        RateLimited: {
            headers: {
                [name: string]: unknown;
            };
            content: {
                "application/json": components["schemas"]["Error"];
            };
        };
        /** @description The body is larger than this server accepts */
        TooLarge: {
            headers: {
                [name: string]: unknown;
            };
            content: {
                "application/json": components["schemas"]["Error"];
            };
        };
        /** @description No credential, or one that is unknown, revoked or expired */
        Unauthenticated: {
            headers: {
                [name: string]: unknown;
            };
            content: {
                "application/json": components["schemas"]["Error"];
            };
        };
        /** @description Bodies are JSON (`application/json`) unless stated otherwise */
        UnsupportedMediaType: {
            headers: {
                [name: string]: unknown;
            };
            content: {
                "application/json": components["schemas"]["Error"];
            };
        };
    };
    parameters: never;
    requestBodies: never;
    headers: never;
    pathItems: never;
}
export type $defs = Record<string, never>;
export interface operations {
    listReviews: {
        parameters: {
            query?: {
                cursor?: string;
                limit?: number;
                /** @description Comma-separated states */
                status?: string;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description OK */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        data: components["schemas"]["Review"][];
                        nextCursor: string | null;
                    };
                };
            };
            400: components["responses"]["InvalidRequest"];
            401: components["responses"]["Unauthenticated"];
            403: components["responses"]["Forbidden"];
            429: components["responses"]["RateLimited"];
        };
    };
    createReview: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": {
                    aiConfig: {
                        model: string;
                        provider: string;
                    } & {
                        [key: string]: unknown;
                    };
                    baseSha?: string | null;
                    /** @description A branch name by git check-ref-format rules */
                    branch: string;
                    /** @description A full commit id (40 or 64 hex) */
                    commitSha: string;
                    files: components["schemas"]["ChangedFile"][];
                    pullRequest?: components["schemas"]["PullRequest"] | null;
                    /** @description https, ssh, git or file URL, or scp-like user@host:path (file only for runners started with --allow-file-repos) */
                    repositoryUrl: string;
                    requiredTags?: string[];
                };
            };
        };
        responses: {
            /** @description Created */
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        data: components["schemas"]["Review"];
                    };
                };
            };
            400: components["responses"]["InvalidRequest"];
            401: components["responses"]["Unauthenticated"];
            403: components["responses"]["Forbidden"];
            413: components["responses"]["TooLarge"];
            415: components["responses"]["UnsupportedMediaType"];
            429: components["responses"]["RateLimited"];
        };
    };
    getReview: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description OK */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        data: components["schemas"]["Review"];
                    };
                };
            };
            400: components["responses"]["InvalidRequest"];
            401: components["responses"]["Unauthenticated"];
            403: components["responses"]["Forbidden"];
            404: components["responses"]["NotFound"];
            429: components["responses"]["RateLimited"];
        };
    };
    cancelReview: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description OK */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        data: components["schemas"]["Review"];
                    };
                };
            };
            400: components["responses"]["InvalidRequest"];
            401: components["responses"]["Unauthenticated"];
            403: components["responses"]["Forbidden"];
            404: components["responses"]["NotFound"];
            409: components["responses"]["Conflict"];
            429: components["responses"]["RateLimited"];
        };
    };
    listRunners: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description OK */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        data: components["schemas"]["Runner"][];
                    };
                };
            };
            401: components["responses"]["Unauthenticated"];
            403: components["responses"]["Forbidden"];
            429: components["responses"]["RateLimited"];
        };
    };
    getRunner: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description OK */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        data: components["schemas"]["Runner"];
                    };
                };
            };
            400: components["responses"]["InvalidRequest"];
            401: components["responses"]["Unauthenticated"];
            403: components["responses"]["Forbidden"];
            404: components["responses"]["NotFound"];
            429: components["responses"]["RateLimited"];
        };
    };
    deregisterRunner: {
        parameters: {
            query?: never;
            header?: {
                /** @description Extension: the instanceId answered by register; a replaced instance gets 409 runner_replaced */
                "x-runner-instance"?: string;
            };
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description OK */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        data: components["schemas"]["Runner"] & {
                            /** @description Extension */
                            releasedTaskIds: string[];
                        };
                    };
                };
            };
            400: components["responses"]["InvalidRequest"];
            401: components["responses"]["Unauthenticated"];
            403: components["responses"]["Forbidden"];
            404: components["responses"]["NotFound"];
            409: components["responses"]["Conflict"];
            429: components["responses"]["RateLimited"];
        };
    };
    listRunnerAttempts: {
        parameters: {
            query?: {
                limit?: number;
            };
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description OK */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        data: {
                            attempt: number;
                            /** Format: date-time */
                            claimedAt: string;
                            endedAt: string | null;
                            externalTaskId: string | null;
                            outcome: string | null;
                            profileId: string;
                            /** @description The item’s state now */
                            state: string;
                            /** @description The work item (a session id on /v1) */
                            taskId: string;
                        }[];
                    };
                };
            };
            400: components["responses"]["InvalidRequest"];
            401: components["responses"]["Unauthenticated"];
            403: components["responses"]["Forbidden"];
            404: components["responses"]["NotFound"];
            429: components["responses"]["RateLimited"];
        };
    };
    heartbeatRunner: {
        parameters: {
            query?: never;
            header?: {
                /** @description Extension: the instanceId answered by register; a replaced instance gets 409 runner_replaced */
                "x-runner-instance"?: string;
            };
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": {
                    /** @description Extension: age of the oldest claim request still unanswered; leases claimed within it are not released for being unlisted */
                    claimsPendingMs?: number;
                    currentJobs: number;
                    /** @enum {unknown} */
                    status: "online" | "busy" | "offline";
                    /** @description Extension: the tasks this runner works on. Exactly these leases are extended; its other leases are released */
                    taskIds?: string[];
                };
            };
        };
        responses: {
            /** @description OK */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        data: components["schemas"]["Runner"] & {
                            /** @description Extension: stop these tasks and report */
                            cancelTaskIds: string[];
                            /** @description Extension: these sessions reached a budget; checkpoint them with pause */
                            pauseTaskIds: string[];
                            /** @description Extension: listed tasks this runner no longer holds; stop them without reporting */
                            staleTaskIds: string[];
                        };
                    };
                };
            };
            400: components["responses"]["InvalidRequest"];
            401: components["responses"]["Unauthenticated"];
            403: components["responses"]["Forbidden"];
            404: components["responses"]["NotFound"];
            409: components["responses"]["Conflict"];
            413: components["responses"]["TooLarge"];
            415: components["responses"]["UnsupportedMediaType"];
            429: components["responses"]["RateLimited"];
        };
    };
    registerRunner: {
        parameters: {
            query?: never;
            header: {
                "x-runner-id": string;
                "x-runner-max-concurrency"?: number;
                "x-runner-name"?: string;
                "x-runner-tags"?: string;
                "x-runner-version"?: string;
            };
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description OK */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        data: components["schemas"]["Runner"] & {
                            /** @description Extension: this register's instance; send it as x-runner-instance. Leases of earlier instances were released */
                            instanceId: string;
                            /** @description Extension: tasks of earlier instances */
                            releasedTaskIds: string[];
                        };
                    };
                };
            };
            400: components["responses"]["InvalidRequest"];
            401: components["responses"]["Unauthenticated"];
            403: components["responses"]["Forbidden"];
            409: components["responses"]["Conflict"];
            429: components["responses"]["RateLimited"];
        };
    };
    getTask: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description OK */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        data: components["schemas"]["Task"];
                    };
                };
            };
            400: components["responses"]["InvalidRequest"];
            401: components["responses"]["Unauthenticated"];
            403: components["responses"]["Forbidden"];
            404: components["responses"]["NotFound"];
            429: components["responses"]["RateLimited"];
        };
    };
    listTaskLogs: {
        parameters: {
            query?: {
                after?: number;
                limit?: number;
            };
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description OK */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        data: {
                            line: string;
                            seq: number;
                            ts: string;
                        }[];
                        /** @description Pass as ?after= to read on */
                        nextAfter: number;
                    };
                };
            };
            400: components["responses"]["InvalidRequest"];
            401: components["responses"]["Unauthenticated"];
            403: components["responses"]["Forbidden"];
            404: components["responses"]["NotFound"];
            429: components["responses"]["RateLimited"];
        };
    };
    appendTaskLogs: {
        parameters: {
            query?: never;
            header?: {
                "x-runner-id"?: string;
                /** @description Extension: the instanceId answered by register; a replaced instance gets 409 runner_replaced */
                "x-runner-instance"?: string;
                /** @description The attempt the runner was given; fences the write */
                "x-runplane-attempt"?: number;
            };
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": {
                    logs: string[];
                };
            };
        };
        responses: {
            /** @description OK */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        data: {
                            appended: number;
                            cancelRequested: boolean;
                            lastSeq: number;
                        };
                    };
                };
            };
            400: components["responses"]["InvalidRequest"];
            401: components["responses"]["Unauthenticated"];
            403: components["responses"]["Forbidden"];
            404: components["responses"]["NotFound"];
            409: components["responses"]["Conflict"];
            413: components["responses"]["TooLarge"];
            415: components["responses"]["UnsupportedMediaType"];
            429: components["responses"]["RateLimited"];
        };
    };
    submitTaskResult: {
        parameters: {
            query?: never;
            header?: {
                "x-runner-id"?: string;
                /** @description Extension: the instanceId answered by register; a replaced instance gets 409 runner_replaced */
                "x-runner-instance"?: string;
                /** @description The attempt the runner was given; fences the write */
                "x-runplane-attempt"?: number;
            };
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": {
                    /** @description Extension: the attempt; fences the result */
                    attempt?: number;
                    error?: string;
                    files: components["schemas"]["FileResult"][];
                    logs?: string[];
                    metrics: {
                        durationMs: number;
                    } & {
                        [key: string]: unknown;
                    };
                    /** @enum {unknown} */
                    rating?: "A" | "B" | "C" | "D" | "F";
                    runnerId: string;
                    /** @enum {unknown} */
                    status: "success" | "failed";
                    totalComments: number;
                };
            };
        };
        responses: {
            /** @description OK */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        data: components["schemas"]["Task"];
                    };
                };
            };
            400: components["responses"]["InvalidRequest"];
            401: components["responses"]["Unauthenticated"];
            403: components["responses"]["Forbidden"];
            404: components["responses"]["NotFound"];
            409: components["responses"]["Conflict"];
            413: components["responses"]["TooLarge"];
            415: components["responses"]["UnsupportedMediaType"];
            429: components["responses"]["RateLimited"];
        };
    };
    reportTaskStatus: {
        parameters: {
            query?: never;
            header?: {
                "x-runner-id"?: string;
                /** @description Extension: the instanceId answered by register; a replaced instance gets 409 runner_replaced */
                "x-runner-instance"?: string;
                /** @description The attempt the runner was given; fences the write */
                "x-runplane-attempt"?: number;
            };
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": {
                    /** @enum {unknown} */
                    status: "preparing" | "cloning" | "reviewing" | "submitting";
                };
            };
        };
        responses: {
            /** @description OK */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        data: components["schemas"]["Task"];
                    };
                };
            };
            400: components["responses"]["InvalidRequest"];
            401: components["responses"]["Unauthenticated"];
            403: components["responses"]["Forbidden"];
            404: components["responses"]["NotFound"];
            409: components["responses"]["Conflict"];
            413: components["responses"]["TooLarge"];
            415: components["responses"]["UnsupportedMediaType"];
            429: components["responses"]["RateLimited"];
        };
    };
    claimPendingTasks: {
        parameters: {
            query: {
                limit?: number;
                runnerId: string;
                /** @description Extension: seconds to long-poll */
                wait?: number;
            };
            header?: {
                /** @description Extension: the instanceId answered by register; a replaced instance gets 409 runner_replaced */
                "x-runner-instance"?: string;
            };
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description OK */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        data: components["schemas"]["Task"][];
                    };
                };
            };
            400: components["responses"]["InvalidRequest"];
            401: components["responses"]["Unauthenticated"];
            403: components["responses"]["Forbidden"];
            429: components["responses"]["RateLimited"];
        };
    };
    receiveGithubWebhook: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Success */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": unknown;
                };
            };
            400: components["responses"]["InvalidRequest"];
            429: components["responses"]["RateLimited"];
        };
    };
    consoleLogIn: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": {
                    email: string;
                    org?: string;
                    password: string;
                };
            };
        };
        responses: {
            /** @description Success */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": unknown;
                };
            };
            400: components["responses"]["InvalidRequest"];
            413: components["responses"]["TooLarge"];
            415: components["responses"]["UnsupportedMediaType"];
            429: components["responses"]["RateLimited"];
        };
    };
    consoleLogOut: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Success */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": unknown;
                };
            };
            400: components["responses"]["InvalidRequest"];
            401: components["responses"]["Unauthenticated"];
            403: components["responses"]["Forbidden"];
            429: components["responses"]["RateLimited"];
        };
    };
    consoleMe: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Success */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": unknown;
                };
            };
            401: components["responses"]["Unauthenticated"];
            403: components["responses"]["Forbidden"];
            429: components["responses"]["RateLimited"];
        };
    };
    consoleWhyPending: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Success */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": unknown;
                };
            };
            400: components["responses"]["InvalidRequest"];
            401: components["responses"]["Unauthenticated"];
            403: components["responses"]["Forbidden"];
            404: components["responses"]["NotFound"];
            429: components["responses"]["RateLimited"];
        };
    };
    consoleSetUp: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": {
                    email: string;
                    org: string;
                    password: string;
                    token: string;
                };
            };
        };
        responses: {
            /** @description Success */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": unknown;
                };
            };
            400: components["responses"]["InvalidRequest"];
            409: components["responses"]["Conflict"];
            413: components["responses"]["TooLarge"];
            415: components["responses"]["UnsupportedMediaType"];
            429: components["responses"]["RateLimited"];
        };
    };
    getHealth: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description OK */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        reason?: string;
                        status: string;
                    };
                };
            };
            429: components["responses"]["RateLimited"];
        };
    };
    getMetrics: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Prometheus text exposition format */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "text/plain": string;
                };
            };
            401: components["responses"]["Unauthenticated"];
            403: components["responses"]["Forbidden"];
            429: components["responses"]["RateLimited"];
        };
    };
    getReadiness: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description OK */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        reason?: string;
                        status: string;
                    };
                };
            };
            429: components["responses"]["RateLimited"];
            /** @description Status 503 */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        reason?: string;
                        status: string;
                    };
                };
            };
        };
    };
    listAdminKeys: {
        parameters: {
            query?: {
                /** @description Opaque; from next_cursor */
                cursor?: string;
                limit?: number;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description ApiKey items, one page */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        items: components["schemas"]["ApiKey"][];
                        next_cursor: string | null;
                    };
                };
            };
            400: components["responses"]["InvalidRequest"];
            401: components["responses"]["Unauthenticated"];
            403: components["responses"]["Forbidden"];
            429: components["responses"]["RateLimited"];
        };
    };
    createAdminKey: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": {
                    /**
                     * Format: date-time
                     * @description When the key stops working (a future instant); none by default
                     */
                    expires_at?: string;
                    /**
                     * @description `standard` is the former name of `operator`
                     * @default operator
                     * @enum {unknown}
                     */
                    kind: "operator" | "runner" | "standard";
                    name?: string;
                    /** @description Required for a standard key; a runner key defaults to runners:read and runners:write */
                    scopes?: ("runners:read" | "runners:write" | "runners:dispatch" | "runners:approve" | "admin")[];
                };
            };
        };
        responses: {
            /** @description The CreatedApiKey */
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["CreatedApiKey"];
                };
            };
            400: components["responses"]["InvalidRequest"];
            401: components["responses"]["Unauthenticated"];
            403: components["responses"]["Forbidden"];
            413: components["responses"]["TooLarge"];
            415: components["responses"]["UnsupportedMediaType"];
            429: components["responses"]["RateLimited"];
        };
    };
    revokeAdminKey: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description An API key (never its secret) */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiKey"];
                };
            };
            400: components["responses"]["InvalidRequest"];
            401: components["responses"]["Unauthenticated"];
            403: components["responses"]["Forbidden"];
            404: components["responses"]["NotFound"];
            409: components["responses"]["Conflict"];
            429: components["responses"]["RateLimited"];
        };
    };
    listAdminUsers: {
        parameters: {
            query?: {
                /** @description Opaque; from next_cursor */
                cursor?: string;
                limit?: number;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description User items, one page */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        items: components["schemas"]["User"][];
                        next_cursor: string | null;
                    };
                };
            };
            400: components["responses"]["InvalidRequest"];
            401: components["responses"]["Unauthenticated"];
            403: components["responses"]["Forbidden"];
            429: components["responses"]["RateLimited"];
        };
    };
    createAdminUser: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": {
                    email: string;
                    /** @description At least 10 characters */
                    password: string;
                    /**
                     * @description viewer: runners:read; approver: read and runners:approve (decides permission requests, raises budgets); operator: read, write and dispatch; admin: everything, this API included
                     * @enum {unknown}
                     */
                    role: "viewer" | "approver" | "operator" | "admin";
                };
            };
        };
        responses: {
            /** @description A console user of the org (never its password) */
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["User"];
                };
            };
            400: components["responses"]["InvalidRequest"];
            401: components["responses"]["Unauthenticated"];
            403: components["responses"]["Forbidden"];
            409: components["responses"]["Conflict"];
            413: components["responses"]["TooLarge"];
            415: components["responses"]["UnsupportedMediaType"];
            429: components["responses"]["RateLimited"];
        };
    };
    deleteAdminUser: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description A console user of the org (never its password) */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["User"];
                };
            };
            400: components["responses"]["InvalidRequest"];
            401: components["responses"]["Unauthenticated"];
            403: components["responses"]["Forbidden"];
            404: components["responses"]["NotFound"];
            409: components["responses"]["Conflict"];
            429: components["responses"]["RateLimited"];
        };
    };
    updateAdminUser: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        /** @description What to change; a new password is the admin’s reset of a forgotten one */
        requestBody: {
            content: {
                "application/json": {
                    disabled?: boolean;
                    /** @description At least 10 characters */
                    password?: string;
                    /**
                     * @description viewer: runners:read; approver: read and runners:approve (decides permission requests, raises budgets); operator: read, write and dispatch; admin: everything, this API included
                     * @enum {unknown}
                     */
                    role?: "viewer" | "approver" | "operator" | "admin";
                };
            };
        };
        responses: {
            /** @description A console user of the org (never its password) */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["User"];
                };
            };
            400: components["responses"]["InvalidRequest"];
            401: components["responses"]["Unauthenticated"];
            403: components["responses"]["Forbidden"];
            404: components["responses"]["NotFound"];
            409: components["responses"]["Conflict"];
            413: components["responses"]["TooLarge"];
            415: components["responses"]["UnsupportedMediaType"];
            429: components["responses"]["RateLimited"];
        };
    };
    listAuditRecords: {
        parameters: {
            query?: {
                /** @description Records whose action contains this text */
                action?: string;
                actor?: string;
                cursor?: string;
                limit?: number;
                /** @description Records at or after this instant */
                since?: string;
                target?: string;
                /** @description Records before this instant */
                until?: string;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description AuditRecord items, one page */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        items: components["schemas"]["AuditRecord"][];
                        next_cursor: string | null;
                    };
                };
            };
            400: components["responses"]["InvalidRequest"];
            401: components["responses"]["Unauthenticated"];
            403: components["responses"]["Forbidden"];
            429: components["responses"]["RateLimited"];
        };
    };
    listIntegrations: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description OK */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        github: {
                            /** @description Repository paths (owner/name, GitLab group/sub/project) or prefixes ending in /* (owner/*) */
                            repositories: string[];
                        };
                        gitlab: {
                            /** @description Repository paths (owner/name, GitLab group/sub/project) or prefixes ending in /* (owner/*) */
                            repositories: string[];
                        };
                    };
                };
            };
            401: components["responses"]["Unauthenticated"];
            403: components["responses"]["Forbidden"];
            429: components["responses"]["RateLimited"];
        };
    };
    replaceIntegration: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                provider: "github" | "gitlab";
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": {
                    /** @description Repository paths (owner/name, GitLab group/sub/project) or prefixes ending in /* (owner/*) */
                    repositories: string[];
                };
            };
        };
        responses: {
            /** @description OK */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        github: {
                            /** @description Repository paths (owner/name, GitLab group/sub/project) or prefixes ending in /* (owner/*) */
                            repositories: string[];
                        };
                        gitlab: {
                            /** @description Repository paths (owner/name, GitLab group/sub/project) or prefixes ending in /* (owner/*) */
                            repositories: string[];
                        };
                    };
                };
            };
            400: components["responses"]["InvalidRequest"];
            401: components["responses"]["Unauthenticated"];
            403: components["responses"]["Forbidden"];
            404: components["responses"]["NotFound"];
            409: components["responses"]["Conflict"];
            413: components["responses"]["TooLarge"];
            415: components["responses"]["UnsupportedMediaType"];
            429: components["responses"]["RateLimited"];
        };
    };
    createGrantIntrospect: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": {
                    token: string;
                };
            };
        };
        responses: {
            /** @description OK */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        active: boolean;
                        /** Format: date-time */
                        expires_at?: string;
                        grant_id?: string;
                        resource?: string | null;
                        scope?: string;
                        session_id?: string;
                    };
                };
            };
            400: components["responses"]["InvalidRequest"];
            401: components["responses"]["Unauthenticated"];
            403: components["responses"]["Forbidden"];
            413: components["responses"]["TooLarge"];
            415: components["responses"]["UnsupportedMediaType"];
            429: components["responses"]["RateLimited"];
        };
    };
    listPermissionRequests: {
        parameters: {
            query?: {
                /** @description next_cursor of the previous page */
                cursor?: string;
                limit?: number;
                session_id?: string;
                state?: "pending" | "approved" | "denied" | "expired";
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description PermissionRequest items, one page */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        items: components["schemas"]["PermissionRequest"][];
                        next_cursor: string | null;
                    };
                };
            };
            400: components["responses"]["InvalidRequest"];
            401: components["responses"]["Unauthenticated"];
            403: components["responses"]["Forbidden"];
            429: components["responses"]["RateLimited"];
        };
    };
    approvePermissionRequest: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": {
                    note?: string;
                    /** @description The grant lifetime; default what was asked; capped by the matching rule’s max_ttl_seconds */
                    ttl_seconds?: number;
                };
            };
        };
        responses: {
            /** @description A session's request for a grant and its decision */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["PermissionRequest"];
                };
            };
            400: components["responses"]["InvalidRequest"];
            401: components["responses"]["Unauthenticated"];
            403: components["responses"]["Forbidden"];
            404: components["responses"]["NotFound"];
            409: components["responses"]["Conflict"];
            413: components["responses"]["TooLarge"];
            415: components["responses"]["UnsupportedMediaType"];
            429: components["responses"]["RateLimited"];
        };
    };
    denyPermissionRequest: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": {
                    note?: string;
                };
            };
        };
        responses: {
            /** @description A session's request for a grant and its decision */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["PermissionRequest"];
                };
            };
            400: components["responses"]["InvalidRequest"];
            401: components["responses"]["Unauthenticated"];
            403: components["responses"]["Forbidden"];
            404: components["responses"]["NotFound"];
            409: components["responses"]["Conflict"];
            413: components["responses"]["TooLarge"];
            415: components["responses"]["UnsupportedMediaType"];
            429: components["responses"]["RateLimited"];
        };
    };
    listProfiles: {
        parameters: {
            query?: {
                /** @description Opaque; from next_cursor */
                cursor?: string;
                limit?: number;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Profile items, one page */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        items: components["schemas"]["Profile"][];
                        next_cursor: string | null;
                    };
                };
            };
            400: components["responses"]["InvalidRequest"];
            401: components["responses"]["Unauthenticated"];
            403: components["responses"]["Forbidden"];
            429: components["responses"]["RateLimited"];
        };
    };
    createProfile: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": {
                    description?: string;
                    /** @enum {unknown} */
                    execution_target?: "runner";
                    /** @description Extension: a readable id (1-63 lowercase letters, digits, dashes) instead of a generated one; 409 id_taken */
                    id?: string;
                    name: string;
                };
            };
        };
        responses: {
            /** @description The Profile */
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Profile"];
                };
            };
            400: components["responses"]["InvalidRequest"];
            401: components["responses"]["Unauthenticated"];
            403: components["responses"]["Forbidden"];
            409: components["responses"]["Conflict"];
            413: components["responses"]["TooLarge"];
            415: components["responses"]["UnsupportedMediaType"];
            429: components["responses"]["RateLimited"];
        };
    };
    getProfile: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The Profile */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Profile"];
                };
            };
            400: components["responses"]["InvalidRequest"];
            401: components["responses"]["Unauthenticated"];
            403: components["responses"]["Forbidden"];
            404: components["responses"]["NotFound"];
            429: components["responses"]["RateLimited"];
        };
    };
    replaceProfile: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": {
                    description?: string;
                    /** @enum {unknown} */
                    execution_target?: "runner";
                    name: string;
                };
            };
        };
        responses: {
            /** @description The Profile */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Profile"];
                };
            };
            400: components["responses"]["InvalidRequest"];
            401: components["responses"]["Unauthenticated"];
            403: components["responses"]["Forbidden"];
            404: components["responses"]["NotFound"];
            409: components["responses"]["Conflict"];
            413: components["responses"]["TooLarge"];
            415: components["responses"]["UnsupportedMediaType"];
            429: components["responses"]["RateLimited"];
        };
    };
    deleteProfile: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description OK */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @enum {unknown} */
                        outcome: "deleted" | "archived";
                        profile: components["schemas"]["Profile"];
                    };
                };
            };
            400: components["responses"]["InvalidRequest"];
            401: components["responses"]["Unauthenticated"];
            403: components["responses"]["Forbidden"];
            404: components["responses"]["NotFound"];
            409: components["responses"]["Conflict"];
            429: components["responses"]["RateLimited"];
        };
    };
    listProfileHarnesses: {
        parameters: {
            query?: {
                /** @description Opaque; from next_cursor */
                cursor?: string;
                limit?: number;
            };
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description HarnessRevision items, one page */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        items: components["schemas"]["HarnessRevision"][];
                        next_cursor: string | null;
                    };
                };
            };
            400: components["responses"]["InvalidRequest"];
            401: components["responses"]["Unauthenticated"];
            403: components["responses"]["Forbidden"];
            404: components["responses"]["NotFound"];
            429: components["responses"]["RateLimited"];
        };
    };
    createProfileHarness: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": {
                    image_ref: string;
                    version: string;
                };
            };
        };
        responses: {
            /** @description The HarnessRevision */
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["HarnessRevision"];
                };
            };
            400: components["responses"]["InvalidRequest"];
            401: components["responses"]["Unauthenticated"];
            403: components["responses"]["Forbidden"];
            404: components["responses"]["NotFound"];
            409: components["responses"]["Conflict"];
            413: components["responses"]["TooLarge"];
            415: components["responses"]["UnsupportedMediaType"];
            429: components["responses"]["RateLimited"];
        };
    };
    getLatestHarness: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The HarnessRevision */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["HarnessRevision"];
                };
            };
            400: components["responses"]["InvalidRequest"];
            401: components["responses"]["Unauthenticated"];
            403: components["responses"]["Forbidden"];
            404: components["responses"]["NotFound"];
            429: components["responses"]["RateLimited"];
        };
    };
    getProfilePolicy: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The PolicyHistory */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["PolicyHistory"];
                };
            };
            400: components["responses"]["InvalidRequest"];
            401: components["responses"]["Unauthenticated"];
            403: components["responses"]["Forbidden"];
            404: components["responses"]["NotFound"];
            429: components["responses"]["RateLimited"];
        };
    };
    replaceProfilePolicy: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": {
                    budgets?: components["schemas"]["Budgets"];
                    /** @default 30 */
                    cancel_grace_seconds?: number;
                    /** @description First match wins; default ask */
                    permissions?: components["schemas"]["PermissionRule"][];
                };
            };
        };
        responses: {
            /** @description The ProfilePolicy */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ProfilePolicy"];
                };
            };
            400: components["responses"]["InvalidRequest"];
            401: components["responses"]["Unauthenticated"];
            403: components["responses"]["Forbidden"];
            404: components["responses"]["NotFound"];
            409: components["responses"]["Conflict"];
            413: components["responses"]["TooLarge"];
            415: components["responses"]["UnsupportedMediaType"];
            429: components["responses"]["RateLimited"];
        };
    };
    suspendProfile: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": {
                    /** @description Why: shown on the profile and audited */
                    reason: string;
                };
            };
        };
        responses: {
            /** @description OK */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @description Sessions a runner held: asked to stop, and cancelled by the server after the pinned cancel grace */
                        cancel_requested: number;
                        /** @description Sessions that were pending or paused: cancelled at once */
                        cancelled: number;
                        profile: components["schemas"]["Profile"];
                    };
                };
            };
            400: components["responses"]["InvalidRequest"];
            401: components["responses"]["Unauthenticated"];
            403: components["responses"]["Forbidden"];
            404: components["responses"]["NotFound"];
            409: components["responses"]["Conflict"];
            413: components["responses"]["TooLarge"];
            415: components["responses"]["UnsupportedMediaType"];
            429: components["responses"]["RateLimited"];
        };
    };
    unsuspendProfile: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description OK */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        profile: components["schemas"]["Profile"];
                    };
                };
            };
            400: components["responses"]["InvalidRequest"];
            401: components["responses"]["Unauthenticated"];
            403: components["responses"]["Forbidden"];
            404: components["responses"]["NotFound"];
            409: components["responses"]["Conflict"];
            429: components["responses"]["RateLimited"];
        };
    };
    listQueues: {
        parameters: {
            query?: {
                profile_id?: string;
                /** @description Comma-separated: rows whose required tags are exactly these */
                tags?: string;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description OK */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        depth: number;
                        items: {
                            depth: number;
                            oldest_age_seconds: number;
                            profile_id: string;
                            required_tags: string[];
                        }[];
                        oldest_age_seconds: number;
                    };
                };
            };
            400: components["responses"]["InvalidRequest"];
            401: components["responses"]["Unauthenticated"];
            403: components["responses"]["Forbidden"];
            429: components["responses"]["RateLimited"];
        };
    };
    listSessions: {
        parameters: {
            query?: {
                created_after?: string;
                created_before?: string;
                /** @description Opaque; from next_cursor */
                cursor?: string;
                limit?: number;
                profile_id?: string;
                /** @description Comma-separated: pending, dispatched, running, paused, cancel_requested, succeeded, failed, cancelled */
                state?: string;
                task_id?: string;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Session items, one page */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        items: components["schemas"]["Session"][];
                        next_cursor: string | null;
                    };
                };
            };
            400: components["responses"]["InvalidRequest"];
            401: components["responses"]["Unauthenticated"];
            403: components["responses"]["Forbidden"];
            429: components["responses"]["RateLimited"];
        };
    };
    createSession: {
        parameters: {
            query?: never;
            header?: {
                "idempotency-key"?: string;
            };
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": {
                    input: unknown;
                    lease_ttl_seconds?: number;
                    max_attempts?: number;
                    metadata?: {
                        [key: string]: unknown;
                    };
                    profile_id: string;
                    required_tags?: string[];
                    task_id: string;
                };
            };
        };
        responses: {
            /** @description The Session */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Session"];
                };
            };
            /** @description The Session */
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Session"];
                };
            };
            400: components["responses"]["InvalidRequest"];
            401: components["responses"]["Unauthenticated"];
            403: components["responses"]["Forbidden"];
            409: components["responses"]["Conflict"];
            413: components["responses"]["TooLarge"];
            415: components["responses"]["UnsupportedMediaType"];
            429: components["responses"]["RateLimited"];
        };
    };
    getSession: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The Session */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Session"];
                };
            };
            400: components["responses"]["InvalidRequest"];
            401: components["responses"]["Unauthenticated"];
            403: components["responses"]["Forbidden"];
            404: components["responses"]["NotFound"];
            429: components["responses"]["RateLimited"];
        };
    };
    updateSession: {
        parameters: {
            query?: never;
            header?: {
                "x-runner-id"?: string;
                /** @description Extension: the instanceId answered by register; a replaced instance gets 409 runner_replaced */
                "x-runner-instance"?: string;
                /** @description The attempt the runner was given; fences the write */
                "x-runplane-attempt"?: number;
            };
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": {
                    /** @description Extension, scope runners:approve: change the session's own limits (null removes one; the pinned policy's apply) */
                    budget?: {
                        max_cost_usd?: number | null;
                        max_tokens?: number | null;
                        max_wall_seconds?: number | null;
                    };
                    error?: string;
                    metadata?: {
                        [key: string]: unknown;
                    };
                    progress?: number;
                    result?: unknown;
                    /** @enum {unknown} */
                    state?: "running" | "succeeded" | "failed";
                };
            };
        };
        responses: {
            /** @description The Session */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Session"];
                };
            };
            400: components["responses"]["InvalidRequest"];
            401: components["responses"]["Unauthenticated"];
            403: components["responses"]["Forbidden"];
            404: components["responses"]["NotFound"];
            409: components["responses"]["Conflict"];
            413: components["responses"]["TooLarge"];
            415: components["responses"]["UnsupportedMediaType"];
            429: components["responses"]["RateLimited"];
        };
    };
    listSessionArtifacts: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Artifact items */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        items: components["schemas"]["Artifact"][];
                    };
                };
            };
            400: components["responses"]["InvalidRequest"];
            401: components["responses"]["Unauthenticated"];
            403: components["responses"]["Forbidden"];
            404: components["responses"]["NotFound"];
            429: components["responses"]["RateLimited"];
        };
    };
    uploadSessionArtifact: {
        parameters: {
            query: {
                name: string;
            };
            header?: {
                "x-runner-id"?: string;
                /** @description Extension: the instanceId answered by register; a replaced instance gets 409 runner_replaced */
                "x-runner-instance"?: string;
                /** @description The attempt the runner was given; fences the write */
                "x-runplane-attempt"?: number;
            };
            path: {
                id: string;
            };
            cookie?: never;
        };
        /** @description The file itself, streamed. Its Content-Type is stored with it (any type is taken). */
        requestBody: {
            content: {
                "application/octet-stream": string;
            };
        };
        responses: {
            /** @description Created */
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Artifact"] & {
                        /** @description Extension: the session was asked to stop */
                        cancel_requested: boolean;
                    };
                };
            };
            400: components["responses"]["InvalidRequest"];
            401: components["responses"]["Unauthenticated"];
            403: components["responses"]["Forbidden"];
            404: components["responses"]["NotFound"];
            409: components["responses"]["Conflict"];
            413: components["responses"]["TooLarge"];
            429: components["responses"]["RateLimited"];
        };
    };
    downloadSessionArtifact: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                artifact_id: string;
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The bytes as uploaded, with the Content-Type they were uploaded with */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/octet-stream": string;
                };
            };
            400: components["responses"]["InvalidRequest"];
            401: components["responses"]["Unauthenticated"];
            403: components["responses"]["Forbidden"];
            404: components["responses"]["NotFound"];
            429: components["responses"]["RateLimited"];
        };
    };
    listSessionAttempts: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Attempt items, one page */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        items: components["schemas"]["Attempt"][];
                        next_cursor: string | null;
                    };
                };
            };
            400: components["responses"]["InvalidRequest"];
            401: components["responses"]["Unauthenticated"];
            403: components["responses"]["Forbidden"];
            404: components["responses"]["NotFound"];
            429: components["responses"]["RateLimited"];
        };
    };
    cancelSession: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The Session */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Session"];
                };
            };
            400: components["responses"]["InvalidRequest"];
            401: components["responses"]["Unauthenticated"];
            403: components["responses"]["Forbidden"];
            404: components["responses"]["NotFound"];
            409: components["responses"]["Conflict"];
            429: components["responses"]["RateLimited"];
        };
    };
    checkpointSession: {
        parameters: {
            query?: never;
            header?: {
                "x-runner-id"?: string;
                /** @description Extension: the instanceId answered by register; a replaced instance gets 409 runner_replaced */
                "x-runner-instance"?: string;
                /** @description The attempt the runner was given; fences the write */
                "x-runplane-attempt"?: number;
            };
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": {
                    data?: unknown;
                    pause?: boolean;
                };
            };
        };
        responses: {
            /** @description OK */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        seq: number | null;
                        session: components["schemas"]["Session"];
                    };
                };
            };
            400: components["responses"]["InvalidRequest"];
            401: components["responses"]["Unauthenticated"];
            403: components["responses"]["Forbidden"];
            404: components["responses"]["NotFound"];
            409: components["responses"]["Conflict"];
            413: components["responses"]["TooLarge"];
            415: components["responses"]["UnsupportedMediaType"];
            429: components["responses"]["RateLimited"];
        };
    };
    claimSession: {
        parameters: {
            query?: never;
            header?: {
                /** @description Extension: the instanceId answered by register; a replaced instance gets 409 runner_replaced */
                "x-runner-instance"?: string;
            };
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": {
                    runner_id: string;
                };
            };
        };
        responses: {
            /** @description The Session */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Session"];
                };
            };
            400: components["responses"]["InvalidRequest"];
            401: components["responses"]["Unauthenticated"];
            403: components["responses"]["Forbidden"];
            404: components["responses"]["NotFound"];
            409: components["responses"]["Conflict"];
            413: components["responses"]["TooLarge"];
            415: components["responses"]["UnsupportedMediaType"];
            429: components["responses"]["RateLimited"];
        };
    };
    listSessionEvents: {
        parameters: {
            query?: {
                after?: number;
                limit?: number;
                type?: string;
            };
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Event items */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        items: components["schemas"]["Event"][];
                        next_after: number;
                    };
                };
            };
            400: components["responses"]["InvalidRequest"];
            401: components["responses"]["Unauthenticated"];
            403: components["responses"]["Forbidden"];
            404: components["responses"]["NotFound"];
            429: components["responses"]["RateLimited"];
        };
    };
    appendSessionEvents: {
        parameters: {
            query?: never;
            header?: {
                "x-runner-id"?: string;
                /** @description Extension: the instanceId answered by register; a replaced instance gets 409 runner_replaced */
                "x-runner-instance"?: string;
                /** @description The attempt the runner was given; fences the write */
                "x-runplane-attempt"?: number;
            };
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["NewEvent"][];
            };
        };
        responses: {
            /** @description Event items */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @description Extension: the session was asked to stop */
                        cancel_requested: boolean;
                        items: components["schemas"]["Event"][];
                        /** @description Extension: the session reached a budget; checkpoint with pause */
                        pause_requested: boolean;
                    };
                };
            };
            400: components["responses"]["InvalidRequest"];
            401: components["responses"]["Unauthenticated"];
            403: components["responses"]["Forbidden"];
            404: components["responses"]["NotFound"];
            409: components["responses"]["Conflict"];
            413: components["responses"]["TooLarge"];
            415: components["responses"]["UnsupportedMediaType"];
            429: components["responses"]["RateLimited"];
        };
    };
    streamSessionEvents: {
        parameters: {
            query?: {
                after?: number;
            };
            header?: {
                "last-event-id"?: number;
            };
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Server-sent events: every event as an unnamed `message` whose `data` is an Event (JSON) and whose `id` is its seq; send `Last-Event-ID` to resume */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "text/event-stream": string;
                };
            };
            400: components["responses"]["InvalidRequest"];
            401: components["responses"]["Unauthenticated"];
            403: components["responses"]["Forbidden"];
            404: components["responses"]["NotFound"];
            429: components["responses"]["RateLimited"];
        };
    };
    heartbeatSession: {
        parameters: {
            query?: never;
            header?: {
                "x-runner-id"?: string;
                /** @description Extension: the instanceId answered by register; a replaced instance gets 409 runner_replaced */
                "x-runner-instance"?: string;
                /** @description The attempt the runner was given; fences the write */
                "x-runplane-attempt"?: number;
            };
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description OK */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        cancel_requested: boolean;
                        /** Format: date-time */
                        lease_expires_at: string | null;
                        /** @description Extension: the session reached a budget; checkpoint with pause */
                        pause_requested: boolean;
                        state: string;
                    };
                };
            };
            400: components["responses"]["InvalidRequest"];
            401: components["responses"]["Unauthenticated"];
            403: components["responses"]["Forbidden"];
            404: components["responses"]["NotFound"];
            409: components["responses"]["Conflict"];
            429: components["responses"]["RateLimited"];
        };
    };
    listSessionPermissionRequests: {
        parameters: {
            query?: {
                /** @description next_cursor of the previous page */
                cursor?: string;
                limit?: number;
                session_id?: string;
                state?: "pending" | "approved" | "denied" | "expired";
            };
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description PermissionRequest items, one page */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        items: components["schemas"]["PermissionRequest"][];
                        next_cursor: string | null;
                    };
                };
            };
            400: components["responses"]["InvalidRequest"];
            401: components["responses"]["Unauthenticated"];
            403: components["responses"]["Forbidden"];
            404: components["responses"]["NotFound"];
            429: components["responses"]["RateLimited"];
        };
    };
    createSessionPermissionRequest: {
        parameters: {
            query?: never;
            header?: {
                "x-runner-id"?: string;
                /** @description Extension: the instanceId answered by register; a replaced instance gets 409 runner_replaced */
                "x-runner-instance"?: string;
                /** @description The attempt the runner was given; fences the write */
                "x-runplane-attempt"?: number;
            };
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": {
                    /** @description Shown to the person who decides */
                    reason: string;
                    /** @description What it wants to do it on (a repository, a path…); matched against the rules’ globs */
                    resource: string;
                    /** @description What the session wants to do: a Runplane scope (`runners:write`) or another system’s (`repo:write`) */
                    scope: string;
                    /** @default 900 */
                    ttl_seconds: number;
                };
            };
        };
        responses: {
            /** @description A permission request, with its token when this answer hands it out */
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["PermissionRequestAnswer"];
                };
            };
            400: components["responses"]["InvalidRequest"];
            401: components["responses"]["Unauthenticated"];
            403: components["responses"]["Forbidden"];
            404: components["responses"]["NotFound"];
            409: components["responses"]["Conflict"];
            413: components["responses"]["TooLarge"];
            415: components["responses"]["UnsupportedMediaType"];
            429: components["responses"]["RateLimited"];
        };
    };
    getSessionPermissionRequest: {
        parameters: {
            query?: {
                /** @description Seconds to wait while the request is pending */
                wait?: number;
            };
            header?: {
                "x-runner-id"?: string;
                /** @description Extension: the instanceId answered by register; a replaced instance gets 409 runner_replaced */
                "x-runner-instance"?: string;
                /** @description The attempt the runner was given; fences the write */
                "x-runplane-attempt"?: number;
            };
            path: {
                id: string;
                request_id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description A permission request, with its token when this answer hands it out */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["PermissionRequestAnswer"];
                };
            };
            400: components["responses"]["InvalidRequest"];
            401: components["responses"]["Unauthenticated"];
            403: components["responses"]["Forbidden"];
            404: components["responses"]["NotFound"];
            429: components["responses"]["RateLimited"];
        };
    };
    listSessionPermissions: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Grant items */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        items: components["schemas"]["Grant"][];
                    };
                };
            };
            400: components["responses"]["InvalidRequest"];
            401: components["responses"]["Unauthenticated"];
            403: components["responses"]["Forbidden"];
            404: components["responses"]["NotFound"];
            429: components["responses"]["RateLimited"];
        };
    };
    grantSessionPermission: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": {
                    reason: string;
                    resource?: string;
                    /** @enum {unknown} */
                    scope: "runners:read" | "runners:write" | "runners:dispatch" | "runners:approve" | "admin";
                    ttl_seconds: number;
                };
            };
        };
        responses: {
            /** @description Created */
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** Format: date-time */
                        expires_at: string;
                        grant: components["schemas"]["Grant"];
                        id: string;
                        scope: string;
                        token: string;
                    };
                };
            };
            400: components["responses"]["InvalidRequest"];
            401: components["responses"]["Unauthenticated"];
            403: components["responses"]["Forbidden"];
            404: components["responses"]["NotFound"];
            409: components["responses"]["Conflict"];
            413: components["responses"]["TooLarge"];
            415: components["responses"]["UnsupportedMediaType"];
            429: components["responses"]["RateLimited"];
        };
    };
    revokeSessionPermission: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                grant_id: string;
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The Grant */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Grant"];
                };
            };
            400: components["responses"]["InvalidRequest"];
            401: components["responses"]["Unauthenticated"];
            403: components["responses"]["Forbidden"];
            404: components["responses"]["NotFound"];
            409: components["responses"]["Conflict"];
            429: components["responses"]["RateLimited"];
        };
    };
    replaySession: {
        parameters: {
            query?: never;
            header?: {
                "idempotency-key"?: string;
            };
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The Session */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Session"];
                };
            };
            /** @description The Session */
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Session"];
                };
            };
            400: components["responses"]["InvalidRequest"];
            401: components["responses"]["Unauthenticated"];
            403: components["responses"]["Forbidden"];
            404: components["responses"]["NotFound"];
            409: components["responses"]["Conflict"];
            429: components["responses"]["RateLimited"];
        };
    };
    resumeSession: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The Session */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Session"];
                };
            };
            400: components["responses"]["InvalidRequest"];
            401: components["responses"]["Unauthenticated"];
            403: components["responses"]["Forbidden"];
            404: components["responses"]["NotFound"];
            409: components["responses"]["Conflict"];
            429: components["responses"]["RateLimited"];
        };
    };
    claimNextSession: {
        parameters: {
            query?: never;
            header?: {
                /** @description Extension: the instanceId answered by register; a replaced instance gets 409 runner_replaced */
                "x-runner-instance"?: string;
            };
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": {
                    /** @default 1 */
                    limit?: number;
                    profile_ids?: string[];
                    runner_id: string;
                    tags?: string[];
                    /** @default 0 */
                    wait_seconds?: number;
                };
            };
        };
        responses: {
            /** @description Session items */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        items: components["schemas"]["Session"][];
                    };
                };
            };
            400: components["responses"]["InvalidRequest"];
            401: components["responses"]["Unauthenticated"];
            403: components["responses"]["Forbidden"];
            409: components["responses"]["Conflict"];
            413: components["responses"]["TooLarge"];
            415: components["responses"]["UnsupportedMediaType"];
            429: components["responses"]["RateLimited"];
        };
    };
    suspendOrg: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": {
                    /** @description Why: shown on the profile and audited */
                    reason: string;
                };
            };
        };
        responses: {
            /** @description OK */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @description Sessions a runner held: asked to stop, and cancelled by the server after the pinned cancel grace */
                        cancel_requested: number;
                        /** @description Sessions that were pending or paused: cancelled at once */
                        cancelled: number;
                        org: components["schemas"]["OrgSuspension"];
                    };
                };
            };
            400: components["responses"]["InvalidRequest"];
            401: components["responses"]["Unauthenticated"];
            403: components["responses"]["Forbidden"];
            413: components["responses"]["TooLarge"];
            415: components["responses"]["UnsupportedMediaType"];
            429: components["responses"]["RateLimited"];
        };
    };
    unsuspendOrg: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description OK */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        org: components["schemas"]["OrgSuspension"];
                    };
                };
            };
            400: components["responses"]["InvalidRequest"];
            401: components["responses"]["Unauthenticated"];
            403: components["responses"]["Forbidden"];
            429: components["responses"]["RateLimited"];
        };
    };
}
