/**
 * Quotas in Postgres: overrides in `organization_quotas`, slots and the queue in `scan_admissions`.
 * Every change of an organization's admissions runs under a transaction-level advisory lock of the
 * organization, so gateways and nodes admit in one order. A slot counts only while its scan (per the
 * `scans` projection) is neither terminal nor deleted, so a release that never ran cannot leak a slot.
 */
import { ScanId } from "@mirage/domain/Ids"
import { Effect, Layer, Schema } from "effect"
import type postgres from "postgres"
import { attempt, PersistenceError } from "../../platform/Errors.js"
import { PgClient } from "../../platform/PgClient.js"
import type { Sql } from "../../platform/PgClient.js"
import { Admission, QuotaConfig, ScanQuotas } from "../Quotas.js"
import type { QuotaLimits } from "../Quotas.js"

const IdRows = Schema.Array(Schema.Struct({ scan_id: ScanId }))
const LimitRows = Schema.Array(Schema.Struct({
  max_running_scans: Schema.NullOr(Schema.Number),
  max_concurrent_tasks: Schema.NullOr(Schema.Number)
}))

type Tx = postgres.TransactionSql<Record<string, never>>

const live = (tx: Tx) =>
  tx`
  exists (select 1 from scans s where s.id = a.scan_id and s.deleted_at is null
          and s.status not in ('COMPLETED', 'FAILED', 'CANCELLED'))`

const decode = <A, I>(schema: Schema.Schema<A, I>, operation: string) => (rows: unknown) =>
  Effect.mapError(Schema.decodeUnknown(schema)(rows), (cause) => new PersistenceError({ operation, cause }))

/** The organization's limits: its overrides, the defaults for what it does not override. */
const limitsIn = async (tx: Tx | Sql, organizationId: string, defaults: QuotaLimits): Promise<QuotaLimits> => {
  const rows = await tx`select max_running_scans, max_concurrent_tasks from organization_quotas
                        where organization_id = ${organizationId}`
  const decoded = Schema.decodeUnknownSync(LimitRows)(rows)[0]
  return {
    max_running_scans: decoded?.max_running_scans ?? defaults.max_running_scans,
    max_concurrent_tasks: decoded?.max_concurrent_tasks ?? defaults.max_concurrent_tasks
  }
}

/** Admits queued scans while slots are free; their ids in FIFO order. */
const drain = async (tx: Tx, organizationId: string, max: number): Promise<Array<unknown>> => {
  // Queued scans that can no longer start (deleted, or ended while waiting) give up their place.
  await tx`delete from scan_admissions a where a.organization_id = ${organizationId} and a.state = 'queued'
           and not exists (select 1 from scans s where s.id = a.scan_id and s.deleted_at is null
                           and s.status = 'CREATED')`
  const [{ n }] = await tx<[{ n: number }]>`
    select count(*)::int as n from scan_admissions a
    where a.organization_id = ${organizationId} and a.state = 'admitted' and ${live(tx)}`
  const free = Math.max(0, max - n)
  if (free === 0) return []
  return tx`
    update scan_admissions set state = 'admitted', admitted_at = now()
    where scan_id in (select scan_id from scan_admissions
                      where organization_id = ${organizationId} and state = 'queued'
                      order by position limit ${free})
    returning scan_id, position`.then((rows) => [...rows].sort((a, b) => Number(a["position"]) - Number(b["position"])))
}

const lock = (tx: Tx, organizationId: string) =>
  tx`select pg_advisory_xact_lock(hashtext(${"mirage:quota:" + organizationId}))`

const positionIn = async (tx: Tx | Sql, organizationId: string, scanId: string): Promise<number | null> => {
  const rows = await tx<Array<{ n: number }>>`
    select (select count(*)::int from scan_admissions q
            where q.organization_id = a.organization_id and q.state = 'queued' and q.position <= a.position) as n
    from scan_admissions a
    where a.scan_id = ${scanId} and a.organization_id = ${organizationId} and a.state = 'queued'`
  return rows[0]?.n ?? null
}

/** Admission under the organization's lock: a slot if one is free and nobody queues, else a place in the queue. */
const admitIn = async (tx: Tx, organizationId: string, scanId: string, defaults: QuotaLimits) => {
  await lock(tx, organizationId)
  const { max_running_scans } = await limitsIn(tx, organizationId, defaults)
  const alsoStart = await drain(tx, organizationId, max_running_scans)
  const existing = await tx<Array<{ state: string }>>`
    select state from scan_admissions where scan_id = ${scanId}`
  if (existing[0] === undefined) {
    const queuedAhead = await tx<[{ n: number }]>`
      select count(*)::int as n from scan_admissions
      where organization_id = ${organizationId} and state = 'queued'`
    const [{ n: running }] = await tx<[{ n: number }]>`
      select count(*)::int as n from scan_admissions a
      where a.organization_id = ${organizationId} and a.state = 'admitted' and ${live(tx)}`
    const state = queuedAhead[0].n === 0 && running < max_running_scans ? "admitted" : "queued"
    await tx`insert into scan_admissions (scan_id, organization_id, state, admitted_at)
             values (${scanId}, ${organizationId}, ${state}, ${state === "admitted" ? tx`now()` : null})`
  }
  const position = await positionIn(tx, organizationId, scanId)
  return {
    admission: position === null ? Admission.Admitted() : Admission.Queued({ position }),
    alsoStart: alsoStart.filter((row) => (row as { scan_id: string }).scan_id !== scanId)
  }
}

export const make = (defaults: QuotaLimits) =>
  Effect.gen(function*() {
    const sql = yield* PgClient
    return ScanQuotas.of({
      limits: (organizationId) => attempt("read quotas", () => limitsIn(sql, organizationId, defaults)),
      overrides: (organizationId) =>
        attempt("read quota overrides", () =>
          sql`select max_running_scans, max_concurrent_tasks from organization_quotas
              where organization_id = ${organizationId}`).pipe(
            Effect.flatMap(decode(LimitRows, "read quota overrides")),
            Effect.map((rows) => rows[0] ?? { max_running_scans: null, max_concurrent_tasks: null })
          ),
      override: (organizationId, limits) =>
        attempt("set quotas", () =>
          sql`insert into organization_quotas (organization_id, max_running_scans, max_concurrent_tasks)
              values (${organizationId}, ${limits.max_running_scans ?? null}, ${limits.max_concurrent_tasks ?? null})
              on conflict (organization_id) do update set
                max_running_scans = excluded.max_running_scans,
                max_concurrent_tasks = excluded.max_concurrent_tasks, updated_at = now()`).pipe(Effect.asVoid),
      admit: (organizationId, scanId) =>
        attempt("admit scan", () =>
          sql.begin((tx) =>
            admitIn(tx, organizationId, scanId, defaults)
          )).pipe(
            Effect.flatMap(({ admission, alsoStart }) =>
              Effect.map(decode(IdRows, "admit scan")(alsoStart), (rows) => ({
                admission,
                alsoStart: rows.map((r) => r.scan_id)
              }))
            )
          ),
      position: (organizationId, scanId) => attempt("queue position", () => positionIn(sql, organizationId, scanId)),
      unstarted: (olderThanMs) =>
        attempt("reconcile scan admissions", async () => {
          const organizations = await sql<Array<{ organization_id: string }>>`
            select distinct organization_id from scan_admissions where state = 'queued'`
          for (const { organization_id } of organizations) {
            await sql.begin(async (tx) => {
              await lock(tx, organization_id)
              const { max_running_scans } = await limitsIn(tx, organization_id, defaults)
              await drain(tx, organization_id, max_running_scans)
            })
          }
          return sql`
            select a.scan_id from scan_admissions a join scans s on s.id = a.scan_id
            where a.state = 'admitted' and s.status = 'CREATED' and s.deleted_at is null
              and a.admitted_at < now() - make_interval(secs => ${olderThanMs / 1000})
            order by a.position`
        }).pipe(
          Effect.flatMap(decode(IdRows, "reconcile scan admissions")),
          Effect.map((rows) => rows.map((r) => r.scan_id))
        ),
      release: (organizationId, scanId) =>
        attempt("release scan slot", () =>
          sql.begin(async (tx) => {
            await lock(tx, organizationId)
            await tx`delete from scan_admissions where scan_id = ${scanId}`
            const { max_running_scans } = await limitsIn(tx, organizationId, defaults)
            return drain(tx, organizationId, max_running_scans)
          })).pipe(
            Effect.flatMap(decode(IdRows, "release scan slot")),
            Effect.map((rows) => rows.map((r) => r.scan_id))
          )
    })
  })

export const layer = Layer.effect(ScanQuotas, Effect.flatMap(QuotaConfig, make))
export const layerWith = (defaults: QuotaLimits) => Layer.effect(ScanQuotas, make(defaults))
